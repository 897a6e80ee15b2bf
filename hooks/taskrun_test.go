package hooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

func TestTaskRunGolden(t *testing.T) {
	runGolden(t, "taskrun", "/sync/taskrun", func(t *testing.T, caseName string) *Hooks {
		h, _ := scriptedHooks(t, "taskrun", caseName)
		return h
	})
}

func TestTaskGolden(t *testing.T) {
	runGolden(t, "task", "/sync/task", func(t *testing.T, caseName string) *Hooks {
		h, _ := scriptedHooks(t, "task", caseName)
		return h
	})
}

func TestTaskRunToolCallGolden(t *testing.T) {
	runGolden(t, "taskruntoolcall", "/sync/taskruntoolcall", func(t *testing.T, caseName string) *Hooks {
		h, _ := scriptedHooks(t, "taskruntoolcall", caseName)
		return h
	})
}

// TestSyncsReplayedTwice replays every sync request twice against the same
// hook server, as Metacontroller does: the second response must be
// byte-identical (no sync loop) and the LLM must be asked at most once.
func TestSyncsReplayedTwice(t *testing.T) {
	for _, dir := range []string{"task", "taskrun", "taskruntoolcall"} {
		requests, err := filepath.Glob(filepath.Join("testdata", dir, "*.request.json"))
		require.NoError(t, err)
		for _, f := range requests {
			caseName := strings.TrimSuffix(filepath.Base(f), ".request.json")
			t.Run(dir+"/"+caseName, func(t *testing.T) {
				body, err := os.ReadFile(f)
				require.NoError(t, err)
				h, llm := scriptedHooks(t, dir, caseName)
				handler := routeHandler(t, h, "/sync/"+dir)

				first := postHook(t, handler, body)
				callsAfterFirst := llm.calls()
				second := postHook(t, handler, body)

				assert.Equal(t, string(first.Body), string(second.Body), "a repeated sync must give the same bytes")
				assert.Equal(t, callsAfterFirst, llm.calls(), "a repeated sync must not call the LLM again")
				assert.LessOrEqual(t, llm.calls(), 1)
			})
		}
	}
}

// decodeResponse decodes a TaskRun sync response body.
func decodeTaskRunResponse(t *testing.T, body []byte) (v1.TaskRunStatus, []v1.TaskRunToolCall) {
	t.Helper()
	var resp struct {
		Status   v1.TaskRunStatus     `json:"status"`
		Children []v1.TaskRunToolCall `json:"children"`
	}
	require.NoError(t, json.Unmarshal(body, &resp))
	return resp.Status, resp.Children
}

// TestTaskRunStaleParentAfterChildrenExist is the case Metacontroller
// produces after a round: the children the hook returned exist (they are
// created before status is written) but the parent in the next request still
// has the status from before the round. The hook must not ask the LLM again
// and must report the round as it was recorded, with or without the reply
// cache (a restarted or different hook server replica).
func TestTaskRunStaleParentAfterChildrenExist(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "taskrun", "new-run-asks-for-tools.request.json"))
	require.NoError(t, err)

	h, llm := scriptedHooks(t, "taskrun", "new-run-asks-for-tools")
	handler := routeHandler(t, h, "/sync/taskrun")
	first := postHook(t, handler, body)
	require.Equal(t, 200, first.Code)
	require.Equal(t, 1, llm.calls())
	firstStatus, children := decodeTaskRunResponse(t, first.Body)
	require.Len(t, children, 2)

	// The stale request: the same parent (old status) with the children observed.
	var req map[string]any
	require.NoError(t, json.Unmarshal(body, &req))
	observed := map[string]any{}
	for _, c := range children {
		c.UID = types.UID("uid-" + c.Name)
		c.Namespace = "default"
		c.CreationTimestamp = metav1.NewTime(firstStatus.PhaseHistory[len(firstStatus.PhaseHistory)-1].TransitionTime.Time.Truncate(time.Second))
		observed[c.Name] = c
	}
	req["children"] = map[string]any{KeyTaskRunToolCall: observed}
	stale, err := json.Marshal(req)
	require.NoError(t, err)

	t.Run("same replica", func(t *testing.T) {
		got := postHook(t, handler, stale)
		require.Equal(t, 200, got.Code)
		assert.Equal(t, 1, llm.calls(), "the LLM must not be asked again")
		st, kids := decodeTaskRunResponse(t, got.Body)
		assert.Equal(t, firstStatus, st, "the stale sync reports the round exactly as recorded")
		assert.Len(t, kids, 2)
	})
	t.Run("another replica", func(t *testing.T) {
		cold, coldLLM := scriptedHooks(t, "taskrun", "new-run-asks-for-tools")
		got := postHook(t, routeHandler(t, cold, "/sync/taskrun"), stale)
		require.Equal(t, 200, got.Code)
		assert.Equal(t, 0, coldLLM.calls(), "observed children prove the round happened")
		st, kids := decodeTaskRunResponse(t, got.Body)
		assert.Equal(t, v1.TaskRunPhaseToolCallsPending, st.Phase)
		require.Len(t, st.ContextWindow, 3)
		assert.Equal(t, firstStatus.ContextWindow[2].ToolCalls, st.ContextWindow[2].ToolCalls, "the same tool calls, never a second set")
		assert.Len(t, kids, 2)
	})
}

// TestTaskRunChatRequest checks what reaches the LLM: the LLM's parameters,
// the context window and the agent's tools as OpenAI function tools.
func TestTaskRunChatRequest(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "taskrun", "new-run-final-answer.request.json"))
	require.NoError(t, err)
	h, llm := scriptedHooks(t, "taskrun", "new-run-final-answer")
	got := postHook(t, routeHandler(t, h, "/sync/taskrun"), body)
	require.Equal(t, 200, got.Code)
	require.Len(t, llm.requests, 1)
	req := llm.requests[0]

	assert.Equal(t, "gpt-4o", req.Model)
	assert.InDelta(t, 0.2, req.Temperature, 1e-6)
	assert.Equal(t, 512, req.MaxTokens)
	require.Len(t, req.Messages, 2)
	assert.Equal(t, openai.ChatCompletionMessage{Role: "system", Content: "You are calculator-operator."}, req.Messages[0])
	assert.Equal(t, openai.ChatCompletionMessage{Role: "user", Content: "What is 2 + 3?"}, req.Messages[1])
	var names []string
	for _, tool := range req.Tools {
		names = append(names, tool.Function.Name)
		assert.Equal(t, openai.ToolTypeFunction, tool.Type)
		assert.NotEmpty(t, tool.Function.Parameters)
	}
	assert.Equal(t, []string{"add", "subtract", "multiply", "divide"}, names)
	require.Len(t, llm.endpoints, 1)
	assert.Equal(t, testAPIKey, llm.endpoints[0].APIKey, "the key comes from the related Secret")
}

// TestTaskRunToolResultsInCallOrder checks that results are appended in the
// order of the assistant's tool calls and that a failed call contributes its
// error text.
func TestTaskRunToolResultsInCallOrder(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "taskrun", "tool-results-then-final-answer.request.json"))
	require.NoError(t, err)
	h, llm := scriptedHooks(t, "taskrun", "tool-results-then-final-answer")
	got := postHook(t, routeHandler(t, h, "/sync/taskrun"), body)
	require.Equal(t, 200, got.Code)
	require.Len(t, llm.requests, 1)
	msgs := llm.requests[0].Messages
	require.Len(t, msgs, 5)
	assert.Equal(t, openai.ChatCompletionMessage{Role: "tool", Content: "5", ToolCallID: "call_1"}, msgs[3])
	assert.Equal(t, openai.ChatCompletionMessage{Role: "tool", Content: "error: division by zero", ToolCallID: "call_2"}, msgs[4])
	st, _ := decodeTaskRunResponse(t, got.Body)
	assert.Equal(t, v1.TaskRunPhaseFinalAnswer, st.Phase)
	assert.Equal(t, "2 + 3 = 5; 1 / 0 is undefined.", st.Output)
}

func TestChildNameStaysValid(t *testing.T) {
	long := strings.Repeat("a", 250)
	tests := []struct {
		name, parent, suffix string
	}{
		{"short", "add-task", "-run"},
		{"exactly at the limit", strings.Repeat("b", 249), "-run"},
		{"too long", long, "-r12-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := childName(tt.parent, tt.suffix)
			assert.LessOrEqual(t, len(got), maxNameLength)
			assert.True(t, strings.HasSuffix(got, tt.suffix))
			assert.Equal(t, got, childName(tt.parent, tt.suffix), "deterministic")
		})
	}
	assert.NotEqual(t, childName(long+"x", "-run"), childName(long+"y", "-run"), "distinct parents keep distinct names")
}
