package hooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// benchTaskRunRequest builds a TaskRun sync request in the steady state that
// dominates a run's syncs: `messages` messages in the context window, the
// last an assistant message with 10 tool calls, 10 children of which 5 have
// finished. The hook answers it without calling the LLM.
func benchTaskRunRequest(b testing.TB, messages int) []byte {
	const calls = 10
	created := metav1.NewTime(fixedNow().Add(-1e9))
	at := metav1.NewMicroTime(fixedNow().Add(-1e9))
	window := []v1.Message{{Role: v1.RoleSystem, Content: "You are a calculator operator. " + strings.Repeat("Be precise. ", 20)}}
	round := 0
	for len(window) < messages-1 {
		round++
		window = append(window,
			v1.Message{Role: v1.RoleAssistant, ToolCalls: []v1.ToolCall{{ID: fmt.Sprintf("call_%d", round), Type: "function", Function: v1.FunctionCall{Name: "add", Arguments: `{"a":2,"b":3}`}}}},
			v1.Message{Role: v1.RoleTool, Content: "5", ToolCallID: fmt.Sprintf("call_%d", round), Name: "add"})
	}
	round++
	last := v1.Message{Role: v1.RoleAssistant, Content: "Let me compute these."}
	children := map[string]v1.TaskRunToolCall{}
	schema := &runtime.RawExtension{Raw: []byte(`{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}`)}
	for i := 0; i < calls; i++ {
		id := fmt.Sprintf("call_%d_%d", round, i)
		last.ToolCalls = append(last.ToolCalls, v1.ToolCall{ID: id, Type: "function", Function: v1.FunctionCall{Name: "add", Arguments: `{"a":2,"b":3}`}})
		name := toolCallName("bench-run", round, i)
		c := v1.TaskRunToolCall{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1.APIVersion, Kind: "TaskRunToolCall"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + typesUID(name)), ResourceVersion: "42", Generation: 1, CreationTimestamp: created, Labels: map[string]string{"controller-uid": "uid-bench", LabelTaskRun: "bench-run"}},
			Spec: v1.TaskRunToolCallSpec{TaskRunRef: v1.LocalObjectReference{Name: "bench-run"}, ToolRef: v1.LocalObjectReference{Name: "add"}, ToolCallID: id, Arguments: `{"a":2,"b":3}`, Round: int32(round), Index: int32(i),
				Tool: v1.ToolSpec{Name: "add", Description: "Add two numbers", Arguments: schema, Type: v1.ToolTypeFunction, Execute: &v1.ToolExecute{Builtin: &v1.BuiltinRef{Name: "add"}}}},
		}
		if i%2 == 0 {
			c.Status = v1.TaskRunToolCallStatus{Phase: v1.ToolCallPhaseSucceeded, Result: "5", PhaseHistory: []v1.PhaseTransition{{Phase: v1.ToolCallPhasePending, TransitionTime: at}, {Phase: v1.ToolCallPhaseSucceeded, TransitionTime: at}}}
		}
		children[name] = c
	}
	window = append(window, last)
	tr := v1.TaskRun{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1.APIVersion, Kind: "TaskRun"},
		ObjectMeta: metav1.ObjectMeta{Name: "bench-run", Namespace: "default", UID: "uid-bench", ResourceVersion: "41", Generation: 1, CreationTimestamp: created, Annotations: map[string]string{AnnotationLLMSecret: "openai"}},
		Spec:       v1.TaskRunSpec{AgentRef: v1.LocalObjectReference{Name: "calculator-operator"}, Input: v1.TaskInput{Message: "What is 2 + 3?"}},
		Status: v1.TaskRunStatus{Phase: v1.TaskRunPhaseToolCallsPending, ContextWindow: window,
			PhaseHistory: []v1.PhaseTransition{{Phase: v1.TaskRunPhasePending, TransitionTime: at}, {Phase: v1.TaskRunPhaseToolCallsPending, TransitionTime: at}}},
	}
	req := TaskRunSyncRequest{Controller: json.RawMessage(`{}`), Parent: tr, Children: TaskRunChildren{ToolCalls: children}}
	body, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func typesUID(s string) string { return strings.ReplaceAll(s, "-", "") }

// BenchmarkTaskRunSync measures the whole hook path (adapter decode, hook,
// encode) for a TaskRun waiting on its tool calls.
func BenchmarkTaskRunSync(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		body := benchTaskRunRequest(b, n)
		h := New(Deps{Now: fixedNow}, discardLogger())
		handler := routeHandler(&testing.T{}, h, "/sync/taskrun")
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "/sync/taskrun", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// BenchmarkTaskRunDecodeEncodeBaseline is the unavoidable part of the same
// call: decoding the request into the typed structs and encoding a response
// of the same content, with encoding/json. The brief's budget is a hook at
// most 1.5× this.
func BenchmarkTaskRunDecodeEncodeBaseline(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		body := benchTaskRunRequest(b, n)
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var req TaskRunSyncRequest
				if err := decodeStrict(body, &req); err != nil {
					b.Fatal(err)
				}
				children := make([]any, 0, len(req.Children.ToolCalls))
				for _, c := range req.Children.ToolCalls {
					children = append(children, c.Spec)
				}
				var out bytes.Buffer
				if err := json.NewEncoder(&out).Encode(TaskRunSyncResponse{Status: req.Parent.Status, Children: children}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
