package fakeopenai

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const key = "sk-test"

func do(t *testing.T, method, url, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

const hello = `{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}`

func TestWire(t *testing.T) {
	fake := New(t, Options{APIKeys: []string{key}, Models: []string{"m1"}, Handler: Scripted(Text("hi"))})

	tests := []struct {
		name       string
		method     string
		path       string
		auth       string
		body       string
		wantStatus int
		wantBody   string
	}{
		{name: "models", method: "GET", path: "/models", auth: "Bearer " + key, wantStatus: 200,
			wantBody: `{"object":"list","data":[{"id":"m1","object":"model","created":1700000000,"owned_by":"fakeopenai"}]}`},
		{name: "wrong key", method: "GET", path: "/models", auth: "Bearer sk-other", wantStatus: 401,
			wantBody: `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
		{name: "no key", method: "POST", path: "/chat/completions", body: hello, wantStatus: 401,
			wantBody: `{"error":{"message":"You didn't provide an API key.","type":"invalid_request_error","param":null,"code":null}}`},
		{name: "bad json", method: "POST", path: "/chat/completions", auth: "Bearer " + key, body: `{`, wantStatus: 400},
		{name: "no model", method: "POST", path: "/chat/completions", auth: "Bearer " + key, body: `{"messages":[{"role":"user","content":"x"}]}`, wantStatus: 400,
			wantBody: `{"error":{"message":"you must provide a model parameter","type":"invalid_request_error","param":null,"code":null}}`},
		{name: "no messages", method: "POST", path: "/chat/completions", auth: "Bearer " + key, body: `{"model":"m1","messages":[]}`, wantStatus: 400},
		{name: "stream refused", method: "POST", path: "/chat/completions", auth: "Bearer " + key, body: `{"model":"m1","stream":true,"messages":[{"role":"user","content":"x"}]}`, wantStatus: 400},
		{name: "unknown route", method: "GET", path: "/embeddings", auth: "Bearer " + key, wantStatus: 404},
		{name: "completion", method: "POST", path: "/chat/completions", auth: "Bearer " + key, body: hello, wantStatus: 200},
		{name: "script exhausted", method: "POST", path: "/chat/completions", auth: "Bearer " + key, body: hello, wantStatus: 500,
			wantBody: `{"error":{"message":"fakeopenai: script exhausted at call 1 (1 replies)","type":"server_error","param":null,"code":null}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, fake.BaseURL+tt.path, tt.auth, tt.body)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, body)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			if tt.wantBody != "" {
				assert.JSONEq(t, tt.wantBody, body)
			}
		})
	}
	assert.Equal(t, 2, fake.ModelListCalls())
	assert.Equal(t, 7, fake.Calls())
	assert.Len(t, fake.Requests(), 5, "decoded requests with an accepted key")
}

func TestRateLimitSendsRetryAfter(t *testing.T) {
	fake := New(t, Options{Handler: Scripted(RateLimit("7"))})
	resp, body := do(t, "POST", fake.BaseURL+"/chat/completions", "Bearer any", hello)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "7", resp.Header.Get("Retry-After"))
	assert.JSONEq(t, `{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}`, body)
}

func TestNilHandlerAnswers500(t *testing.T) {
	fake := New(t, Options{})
	resp, _ := do(t, "POST", fake.BaseURL+"/chat/completions", "Bearer any", hello)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
}

func TestByTurnDependsOnlyOnTheConversation(t *testing.T) {
	h := ByTurn(ToolCalls(ToolCall("call_1", "lookup", `{}`)), Text("done"))
	user := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: "go"}
	assistant := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, ToolCalls: []openai.ToolCall{ToolCall("call_1", "lookup", `{}`)}}
	tool := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: "call_1", Content: "42"}

	tests := []struct {
		name        string
		messages    []openai.ChatCompletionMessage
		wantContent string
		wantTools   int
		wantStatus  int
	}{
		{name: "first turn", messages: []openai.ChatCompletionMessage{user}, wantTools: 1},
		{name: "first turn again", messages: []openai.ChatCompletionMessage{user}, wantTools: 1},
		{name: "second turn", messages: []openai.ChatCompletionMessage{user, assistant, tool}, wantContent: "done"},
		{name: "past the script", messages: []openai.ChatCompletionMessage{user, assistant, tool, assistant, tool}, wantStatus: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, apiErr := h(openai.ChatCompletionRequest{Model: "m", Messages: tt.messages})
			if tt.wantStatus != 0 {
				require.NotNil(t, apiErr)
				assert.Equal(t, tt.wantStatus, apiErr.Status)
				return
			}
			require.Nil(t, apiErr)
			require.Len(t, resp.Choices, 1)
			assert.Equal(t, tt.wantContent, resp.Choices[0].Message.Content)
			assert.Len(t, resp.Choices[0].Message.ToolCalls, tt.wantTools)
		})
	}
}

func TestCompletionBody(t *testing.T) {
	fake := New(t, Options{Handler: Scripted(Text("hi"))})
	resp, body := do(t, "POST", fake.BaseURL+"/chat/completions", "Bearer any", hello)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var got openai.ChatCompletionResponse
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, "chatcmpl-fake-0", got.ID)
	assert.Equal(t, "chat.completion", got.Object)
	assert.Equal(t, "gpt-4o", got.Model)
	require.Len(t, got.Choices, 1)
	assert.Equal(t, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: "hi"}, got.Choices[0].Message)
	assert.Equal(t, openai.FinishReasonStop, got.Choices[0].FinishReason)
}

func TestRecordsConcurrentCalls(t *testing.T) {
	const n = 20
	replies := make([]Reply, n)
	for i := range replies {
		replies[i] = Text("ok")
	}
	fake := New(t, Options{Handler: Scripted(replies...)})
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, fake.BaseURL+"/chat/completions", strings.NewReader(hello))
			if err != nil {
				return
			}
			req.Header.Set("Authorization", "Bearer any")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			codes[i] = resp.StatusCode
			resp.Body.Close()
		})
	}
	wg.Wait()
	for _, c := range codes {
		assert.Equal(t, http.StatusOK, c)
	}
	assert.Equal(t, n, fake.Calls())
	assert.Len(t, fake.Requests(), n)
}

func TestResponseTokenCountsAreDeterministic(t *testing.T) {
	req := openai.ChatCompletionRequest{Model: "m", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "12345678"}}}
	a, err := json.Marshal(Text("abcd").Response(req, "x"))
	require.NoError(t, err)
	b, err := json.Marshal(Text("abcd").Response(req, "x"))
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b))
	var resp openai.ChatCompletionResponse
	require.NoError(t, json.Unmarshal(a, &resp))
	assert.Equal(t, openai.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}, resp.Usage)
}
