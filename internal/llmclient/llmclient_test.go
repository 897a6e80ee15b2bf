package llmclient

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/humanlayer/kubechain/hooks"
	"github.com/humanlayer/kubechain/internal/fakeopenai"
)

const goodKey = "sk-good-0123456789"

func newClient(t *testing.T, fake *fakeopenai.TestServer, key string) hooks.LLMClient {
	t.Helper()
	c, err := New(hooks.LLMEndpoint{Provider: "openai", BaseURL: fake.BaseURL, APIKey: key}, NewHTTPClient(10*time.Second))
	require.NoError(t, err)
	return c
}

func TestNewProviders(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		wantErr  string
	}{
		{name: "openai", provider: "openai"},
		{name: "unknown provider is named", provider: "anthropic", wantErr: `unsupported LLM provider "anthropic"`},
		{name: "empty provider", provider: "", wantErr: `unsupported LLM provider ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Factory(nil)(hooks.LLMEndpoint{Provider: tt.provider, APIKey: goodKey})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				assert.NotContains(t, err.Error(), goodKey)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, c)
		})
	}
}

func TestNewHTTPClientPoolsConnections(t *testing.T) {
	c := NewHTTPClient(3 * time.Second)
	assert.Equal(t, 3*time.Second, c.Timeout)
	tr, ok := c.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Equal(t, 64, tr.MaxIdleConnsPerHost)
}

func TestListModels(t *testing.T) {
	fake := fakeopenai.New(t, fakeopenai.Options{APIKeys: []string{goodKey}, Models: []string{"gpt-4o", "o3"}})

	tests := []struct {
		name       string
		key        string
		wantModels []string
		wantStatus int
		wantMsg    string
	}{
		{name: "valid key lists models", key: goodKey, wantModels: []string{"gpt-4o", "o3"}},
		{name: "wrong key", key: "sk-wrong", wantStatus: http.StatusUnauthorized, wantMsg: "Incorrect API key provided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := newClient(t, fake, tt.key).ListModels(context.Background())
			if tt.wantStatus != 0 {
				var apiErr *openai.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.wantStatus, apiErr.HTTPStatusCode)
				assert.Equal(t, tt.wantMsg, apiErr.Message)
				assert.Equal(t, "invalid_api_key", apiErr.Code)
				assert.NotContains(t, err.Error(), tt.key)
				return
			}
			require.NoError(t, err)
			var ids []string
			for _, m := range list.Models {
				ids = append(ids, m.ID)
			}
			assert.Equal(t, tt.wantModels, ids)
		})
	}
	assert.Equal(t, 2, fake.ModelListCalls())
}

func TestChatCompletionRoundTrip(t *testing.T) {
	fake := fakeopenai.New(t, fakeopenai.Options{
		APIKeys: []string{goodKey},
		Handler: fakeopenai.Scripted(
			fakeopenai.ToolCalls(fakeopenai.ToolCall("call_1", "add", `{"a":1,"b":2}`)),
			fakeopenai.Text("3"),
		),
	})
	c := newClient(t, fake, goodKey)
	tools := []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name:       "add",
		Parameters: map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "number"}}},
	}}}
	req := openai.ChatCompletionRequest{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "what is 1+2?"}},
		Tools:    tools,
	}

	resp, err := c.CreateChatCompletion(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, resp.Choices, 1)
	assert.Equal(t, openai.FinishReasonToolCalls, resp.Choices[0].FinishReason)
	assert.Equal(t, []openai.ToolCall{{ID: "call_1", Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: "add", Arguments: `{"a":1,"b":2}`}}}, resp.Choices[0].Message.ToolCalls)

	req.Messages = append(req.Messages, resp.Choices[0].Message,
		openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: "call_1", Content: "3"})
	resp, err = c.CreateChatCompletion(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, resp.Choices, 1)
	assert.Equal(t, "3", resp.Choices[0].Message.Content)
	assert.Equal(t, openai.FinishReasonStop, resp.Choices[0].FinishReason)
	assert.Equal(t, "gpt-4o", resp.Model)

	got := fake.Requests()
	require.Len(t, got, 2)
	assert.Equal(t, 2, fake.Calls())
	assert.Equal(t, "what is 1+2?", got[0].Messages[0].Content)
	require.Len(t, got[0].Tools, 1)
	assert.Equal(t, "add", got[0].Tools[0].Function.Name)
	require.Len(t, got[1].Messages, 3)
	assert.Equal(t, "call_1", got[1].Messages[2].ToolCallID)
	assert.Equal(t, "add", got[1].Messages[1].ToolCalls[0].Function.Name)
}

func TestChatCompletionErrors(t *testing.T) {
	tests := []struct {
		name           string
		reply          fakeopenai.Reply
		wantStatus     int
		wantRateLimit  bool
		wantRetryAfter time.Duration
	}{
		{name: "429 with Retry-After", reply: fakeopenai.RateLimit("7"), wantStatus: 429, wantRateLimit: true, wantRetryAfter: 7 * time.Second},
		{name: "429 without Retry-After", reply: fakeopenai.RateLimit(""), wantStatus: 429, wantRateLimit: true},
		{name: "500", reply: fakeopenai.Fail(500, "The server had an error"), wantStatus: 500},
		{name: "400", reply: fakeopenai.Fail(400, "bad tools"), wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakeopenai.New(t, fakeopenai.Options{Handler: fakeopenai.Scripted(tt.reply)})
			_, err := newClient(t, fake, goodKey).CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
				Model:    "gpt-4o",
				Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "hi"}},
			})
			require.Error(t, err)
			var apiErr *openai.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.wantStatus, apiErr.HTTPStatusCode)
			assert.Equal(t, tt.reply.Err.Message, apiErr.Message)

			var rl interface{ RetryAfter() time.Duration }
			assert.Equal(t, tt.wantRateLimit, errors.As(err, &rl))
			if tt.wantRateLimit {
				assert.Equal(t, tt.wantRetryAfter, rl.RetryAfter())
			}
		})
	}
}

func TestDeadlines(t *testing.T) {
	release := make(chan struct{})
	fake := fakeopenai.New(t, fakeopenai.Options{Handler: func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, *fakeopenai.APIError) {
		<-release
		return fakeopenai.Text("late").Response(req, "late"), nil
	}})
	t.Cleanup(func() { close(release) }) // runs before the fake closes

	tests := []struct {
		name          string
		clientTimeout time.Duration
		ctxTimeout    time.Duration
	}{
		{name: "context deadline", clientTimeout: time.Minute, ctxTimeout: 50 * time.Millisecond},
		{name: "client timeout backstop", clientTimeout: 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(hooks.LLMEndpoint{Provider: "openai", BaseURL: fake.BaseURL, APIKey: goodKey}, NewHTTPClient(tt.clientTimeout))
			require.NoError(t, err)
			ctx := context.Background()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			_, err = c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
				Model:    "gpt-4o",
				Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "hi"}},
			})
			require.Error(t, err)
			var netErr interface{ Timeout() bool }
			isTimeout := errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
			assert.True(t, isTimeout, "want a timeout, got %v", err)
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{name: "seconds", value: "7", want: 7 * time.Second},
		{name: "absent", value: "", want: 0},
		{name: "negative", value: "-3", want: 0},
		{name: "garbage", value: "soon", want: 0},
		{name: "http date", value: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second},
		{name: "past http date", value: now.Add(-time.Minute).Format(http.TimeFormat), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseRetryAfter(tt.value, now))
		})
	}
}
