package hooks

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/require"
)

// scriptedLLM is a fake LLMClient that answers chat completions from a
// script, in order, and records every request and endpoint it was given.
type scriptedLLM struct {
	mu        sync.Mutex
	replies   []scriptedReply
	requests  []openai.ChatCompletionRequest
	endpoints []LLMEndpoint
}

// scriptedReply is one answer: a completion, or an error with an HTTP status.
type scriptedReply struct {
	openai.ChatCompletionResponse
	Error *struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// llmScript is a case's <case>.llm.json: the replies and optional limits.
type llmScript struct {
	Replies        []scriptedReply `json:"replies"`
	MaxRounds      int             `json:"maxRounds,omitempty"`
	MaxStatusBytes int             `json:"maxStatusBytes,omitempty"`
}

func (f *scriptedLLM) factory(ep LLMEndpoint) (LLMClient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endpoints = append(f.endpoints, ep)
	return f, nil
}

func (f *scriptedLLM) CreateChatCompletion(_ context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	if len(f.replies) == 0 {
		return openai.ChatCompletionResponse{}, &openai.APIError{HTTPStatusCode: http.StatusInternalServerError, Message: "scriptedLLM: no reply left in the script"}
	}
	r := f.replies[0]
	f.replies = f.replies[1:]
	if r.Error != nil {
		return openai.ChatCompletionResponse{}, &openai.APIError{HTTPStatusCode: r.Error.Status, Message: r.Error.Message}
	}
	return r.ChatCompletionResponse, nil
}

func (f *scriptedLLM) ListModels(context.Context) (openai.ModelsList, error) {
	return openai.ModelsList{}, nil
}

func (f *scriptedLLM) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// loadScript reads testdata/<dir>/<case>.llm.json (an empty script when absent).
func loadScript(t *testing.T, dir, caseName string) llmScript {
	t.Helper()
	var s llmScript
	b, err := os.ReadFile(filepath.Join("testdata", dir, caseName+".llm.json"))
	if os.IsNotExist(err) {
		return s
	}
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// scriptedHooks builds Hooks whose LLM follows the case's script.
func scriptedHooks(t *testing.T, dir, caseName string) (*Hooks, *scriptedLLM) {
	t.Helper()
	s := loadScript(t, dir, caseName)
	llm := &scriptedLLM{replies: s.Replies}
	h := newTestHooks(t, Deps{LLMs: llm.factory, MaxRounds: s.MaxRounds, MaxStatusBytes: s.MaxStatusBytes})
	return h, llm
}
