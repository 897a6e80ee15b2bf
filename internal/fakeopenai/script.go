package fakeopenai

import (
	"fmt"
	"net/http"
	"sync"

	openai "github.com/sashabaranov/go-openai"
)

// created is the fixed creation time of every response, so answers are deterministic.
const created = 1700000000

// Reply is one scripted answer: assistant text, tool calls, or an error.
type Reply struct {
	// Content is the assistant message text.
	Content string
	// ToolCalls are the tool calls the assistant asks for.
	ToolCalls []openai.ToolCall
	// Err, when set, is answered instead of a completion.
	Err *APIError
}

// Text is a reply with assistant text (finish reason stop).
func Text(content string) Reply { return Reply{Content: content} }

// ToolCalls is a reply asking for tool calls (finish reason tool_calls).
func ToolCalls(calls ...openai.ToolCall) Reply { return Reply{ToolCalls: calls} }

// ToolCall is a function tool call with JSON arguments, for ToolCalls.
func ToolCall(id, name, arguments string) openai.ToolCall {
	return openai.ToolCall{ID: id, Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: name, Arguments: arguments}}
}

// Fail is a reply answered with an HTTP error status and message.
func Fail(status int, message string) Reply {
	return Reply{Err: &APIError{Status: status, Message: message}}
}

// RateLimit is a 429 reply with the given Retry-After header ("" for none).
func RateLimit(retryAfter string) Reply {
	return Reply{Err: &APIError{Status: http.StatusTooManyRequests, Message: "Rate limit reached for requests", RetryAfter: retryAfter}}
}

// Scripted answers the n-th call with the n-th reply, and with a 500 once the
// script is exhausted. It suits tests that control how often the model is called.
func Scripted(replies ...Reply) Handler {
	var mu sync.Mutex
	next := 0
	return func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, *APIError) {
		mu.Lock()
		n := next
		next++
		mu.Unlock()
		return answer(req, replies, n, "call")
	}
}

// ByTurn answers by the conversation's progress: a request whose messages hold
// n assistant messages gets the n-th reply. The answer depends only on the
// request, so a repeated request (Metacontroller calls a sync hook several
// times per change) gets the same answer.
func ByTurn(replies ...Reply) Handler {
	return func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, *APIError) {
		n := 0
		for _, m := range req.Messages {
			if m.Role == openai.ChatMessageRoleAssistant {
				n++
			}
		}
		return answer(req, replies, n, "turn")
	}
}

func answer(req openai.ChatCompletionRequest, replies []Reply, n int, unit string) (openai.ChatCompletionResponse, *APIError) {
	if n >= len(replies) {
		return openai.ChatCompletionResponse{}, &APIError{
			Status:  http.StatusInternalServerError,
			Message: fmt.Sprintf("fakeopenai: script exhausted at %s %d (%d replies)", unit, n, len(replies)),
		}
	}
	r := replies[n]
	if r.Err != nil {
		return openai.ChatCompletionResponse{}, r.Err
	}
	return r.Response(req, fmt.Sprintf("chatcmpl-fake-%d", n)), nil
}

// Response builds the completion answering req with r, with the given id.
// Token counts are rough (4 characters a token) but deterministic.
func (r Reply) Response(req openai.ChatCompletionRequest, id string) openai.ChatCompletionResponse {
	finish := openai.FinishReasonStop
	if len(r.ToolCalls) > 0 {
		finish = openai.FinishReasonToolCalls
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(m.Content)
	}
	promptTokens := prompt/4 + 1
	completionTokens := len(r.Content)/4 + 1
	for _, c := range r.ToolCalls {
		completionTokens += (len(c.Function.Name) + len(c.Function.Arguments)) / 4
	}
	return openai.ChatCompletionResponse{
		ID:      id,
		Object:  "chat.completion",
		Created: created,
		Model:   req.Model,
		Choices: []openai.ChatCompletionChoice{{
			Index: 0,
			Message: openai.ChatCompletionMessage{
				Role:      openai.ChatMessageRoleAssistant,
				Content:   r.Content,
				ToolCalls: r.ToolCalls,
			},
			FinishReason: finish,
		}},
		Usage: openai.Usage{PromptTokens: promptTokens, CompletionTokens: completionTokens, TotalTokens: promptTokens + completionTokens},
	}
}
