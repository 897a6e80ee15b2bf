package demollm

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/humanlayer/kubechain/internal/fakeopenai"
)

// expression matches "a <op> b" with numbers a and b, anywhere in a message.
var expression = regexp.MustCompile(`(-?\d+(?:\.\d+)?)\s*([-+*/x×÷])\s*(-?\d+(?:\.\d+)?)`)

var opTools = map[string]string{"+": "add", "-": "subtract", "*": "multiply", "x": "multiply", "×": "multiply", "/": "divide", "÷": "divide"}

// Calculator answers a chat completion from the conversation alone:
//   - the last message is a tool result → a final answer built from it;
//   - a delegate_to_* tool is offered → delegate the user's message to it;
//   - the user's message holds "a op b" and the op's tool is offered → call it;
//   - otherwise → a final answer saying what it can do.
func Calculator() fakeopenai.Handler {
	return func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, *fakeopenai.APIError) {
		if len(req.Messages) == 0 {
			return openai.ChatCompletionResponse{}, &fakeopenai.APIError{Status: 400, Message: "messages must not be empty"}
		}
		user := lastUserMessage(req.Messages)
		last := req.Messages[len(req.Messages)-1]
		if last.Role == openai.ChatMessageRoleTool {
			return text(req, finalAnswer(user, last.Content)), nil
		}
		offered := map[string]bool{}
		for _, t := range req.Tools {
			if t.Function != nil {
				offered[t.Function.Name] = true
				if strings.HasPrefix(t.Function.Name, "delegate_to_") {
					args, _ := json.Marshal(map[string]string{"message": user})
					return call(req, t.Function.Name, string(args)), nil
				}
			}
		}
		if m := expression.FindStringSubmatch(user); m != nil {
			if tool := opTools[m[2]]; offered[tool] {
				a, _ := strconv.ParseFloat(m[1], 64)
				b, _ := strconv.ParseFloat(m[3], 64)
				args, _ := json.Marshal(map[string]float64{"a": a, "b": b})
				return call(req, tool, string(args)), nil
			}
		}
		return text(req, "I can only work out arithmetic like \"2 + 2\" with my tools."), nil
	}
}

func finalAnswer(question, result string) string {
	if strings.HasPrefix(result, "error:") {
		return "I could not work that out: " + strings.TrimSpace(strings.TrimPrefix(result, "error:"))
	}
	if m := expression.FindStringSubmatch(question); m != nil && !strings.Contains(result, " ") {
		return fmt.Sprintf("%s %s %s = %s", m[1], m[2], m[3], result)
	}
	return result
}

func lastUserMessage(msgs []openai.ChatCompletionMessage) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == openai.ChatMessageRoleUser {
			return msgs[i].Content
		}
	}
	return ""
}

func text(req openai.ChatCompletionRequest, content string) openai.ChatCompletionResponse {
	return response(req, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: content}, openai.FinishReasonStop)
}

func call(req openai.ChatCompletionRequest, name, args string) openai.ChatCompletionResponse {
	msg := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, ToolCalls: []openai.ToolCall{{
		ID:       fmt.Sprintf("call_%d", len(req.Messages)),
		Type:     openai.ToolTypeFunction,
		Function: openai.FunctionCall{Name: name, Arguments: args},
	}}}
	return response(req, msg, openai.FinishReasonToolCalls)
}

func response(req openai.ChatCompletionRequest, msg openai.ChatCompletionMessage, finish openai.FinishReason) openai.ChatCompletionResponse {
	return openai.ChatCompletionResponse{
		ID:      fmt.Sprintf("chatcmpl-demo-%d", len(req.Messages)),
		Object:  "chat.completion",
		Created: 1700000000,
		Model:   req.Model,
		Choices: []openai.ChatCompletionChoice{{Index: 0, Message: msg, FinishReason: finish}},
	}
}
