package local

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
	"github.com/humanlayer/kubechain/hooks"
	"github.com/humanlayer/kubechain/internal/demollm"
	"github.com/humanlayer/kubechain/internal/fakeopenai"
	"github.com/humanlayer/kubechain/internal/runner"
)

// scenario is a local kubechain over the samples with a fake LLM.
type scenario struct {
	r   *runner.Runner
	llm *FakeLLM
}

func newScenario(t *testing.T, stale bool, h fakeopenai.Handler, deps hooks.Deps, edit func([]runner.Object) []runner.Object) *scenario {
	t.Helper()
	llm := NewFakeLLM(h)
	t.Cleanup(llm.Close)
	deps.LLMs = llm.Factory()
	deps.Slack = OfflineSlack()
	r, err := New(Options{ControllersDir: "../../metacontroller", Deps: deps, Stale: stale})
	require.NoError(t, err)
	objs, err := runner.LoadObjects("../../samples")
	require.NoError(t, err)
	if edit != nil {
		objs = edit(objs)
	}
	require.NoError(t, r.Apply(objs...))
	return &scenario{r: r, llm: llm}
}

func (s *scenario) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, s.r.Run(ctx, TasksDone))
}

// get decodes an object into its typed form.
func get[T any](t *testing.T, r *runner.Runner, kind, name string) T {
	t.Helper()
	o, ok := r.Get(kind, "default", name)
	require.True(t, ok, "%s/%s not found", kind, name)
	var out T
	b, err := json.Marshal(o)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func phases(h []v1.PhaseTransition) []v1.Phase {
	var out []v1.Phase
	for _, p := range h {
		out = append(out, p.Phase)
	}
	return out
}

// withTask replaces the sample Task's agent and message.
func withTask(agent, message string) func([]runner.Object) []runner.Object {
	return func(objs []runner.Object) []runner.Object {
		for _, o := range objs {
			if o.Kind() == "Task" {
				spec := o["spec"].(map[string]any)
				spec["agentRef"] = map[string]any{"name": agent}
				spec["input"] = map[string]any{"message": message}
			}
		}
		return objs
	}
}

// TestCalculatorExample runs the README's example end to end: the project
// manager delegates "2 + 2" to the calculator operator, which calls add.
// With stale parents and repeated syncs the outcome and the number of LLM
// calls must be the same.
func TestCalculatorExample(t *testing.T) {
	for _, stale := range []bool{false, true} {
		t.Run(fmt.Sprintf("stale=%v", stale), func(t *testing.T) {
			s := newScenario(t, stale, nil, hooks.Deps{}, nil)
			s.run(t)

			task := get[v1.Task](t, s.r, "Task", "add-task")
			assert.Equal(t, v1.TaskRunPhaseFinalAnswer, task.Status.Phase, task.Status.StatusDetail)
			assert.Equal(t, "2 + 2 = 4", task.Status.Output)
			assert.True(t, task.Status.Ready)

			manager := get[v1.TaskRun](t, s.r, "TaskRun", "add-task-run")
			assert.Equal(t, []v1.Phase{"Pending", "SendContextWindowToLLM", "ToolCallsPending", "SendContextWindowToLLM", "FinalAnswer"}, phases(manager.Status.PhaseHistory))
			delegation := get[v1.TaskRunToolCall](t, s.r, "TaskRunToolCall", "add-task-run-r1-0")
			assert.Equal(t, v1.ToolCallPhaseSucceeded, delegation.Status.Phase)
			assert.Equal(t, "2 + 2 = 4", delegation.Status.Result)
			operator := get[v1.TaskRun](t, s.r, "TaskRun", "add-task-run-r1-0-sub")
			assert.Equal(t, int32(1), operator.Spec.DelegationDepth)
			assert.Equal(t, "What is the result of 2 + 2?", operator.Spec.Input.Message)
			add := get[v1.TaskRunToolCall](t, s.r, "TaskRunToolCall", "add-task-run-r1-0-sub-r1-0")
			assert.Equal(t, "add", add.Spec.Tool.Name)
			assert.Equal(t, "4", add.Status.Result)

			assert.Equal(t, 4, s.llm.Calls(), "one LLM call per round: manager 2, operator 2")
			st := s.r.Stats()
			t.Logf("syncs=%d hook calls=%v API requests=%d (creates %d, status GETs %d, status writes %d)",
				st.Syncs, st.HookCalls, st.APIRequests, st.ChildCreates, st.StatusGets, st.StatusWrites)
			assert.Zero(t, st.HookErrors)
		})
	}
}

// TestToolErrorIsFedBack: a division by zero is an error result that goes
// back to the LLM, and the run goes on to a final answer.
func TestToolErrorIsFedBack(t *testing.T) {
	s := newScenario(t, true, nil, hooks.Deps{}, withTask("calculator-operator", "What is 1 / 0?"))
	s.run(t)
	task := get[v1.Task](t, s.r, "Task", "add-task")
	assert.Equal(t, v1.TaskRunPhaseFinalAnswer, task.Status.Phase)
	assert.Equal(t, "I could not work that out: division by zero", task.Status.Output)
	call := get[v1.TaskRunToolCall](t, s.r, "TaskRunToolCall", "add-task-run-r1-0")
	assert.Equal(t, v1.ToolCallPhaseFailed, call.Status.Phase)
	run := get[v1.TaskRun](t, s.r, "TaskRun", "add-task-run")
	assert.Equal(t, v1.Message{Role: "tool", Content: "error: division by zero", ToolCallID: call.Spec.ToolCallID, Name: "divide"}, run.Status.ContextWindow[3])
}

// TestMaxRounds: an agent that never stops calling tools fails with a clear error.
func TestMaxRounds(t *testing.T) {
	var n atomic.Int32
	always := func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, *fakeopenai.APIError) {
		i := n.Add(1)
		return openai.ChatCompletionResponse{Choices: []openai.ChatCompletionChoice{{Message: openai.ChatCompletionMessage{Role: "assistant",
			ToolCalls: []openai.ToolCall{{ID: fmt.Sprintf("call_%d", i), Type: "function", Function: openai.FunctionCall{Name: "add", Arguments: `{"a":1,"b":1}`}}}}}}}, nil
	}
	s := newScenario(t, false, always, hooks.Deps{MaxRounds: 3}, withTask("calculator-operator", "Count forever"))
	s.run(t)
	task := get[v1.Task](t, s.r, "Task", "add-task")
	assert.Equal(t, v1.TaskRunPhaseFailed, task.Status.Phase)
	assert.Equal(t, "no final answer after 3 LLM rounds (the limit); the agent keeps calling tools", task.Status.Error)
	assert.Equal(t, 3, s.llm.Calls())
}

// TestRateLimitThenSuccess: a 429 keeps the run in its phase and retries.
func TestRateLimitThenSuccess(t *testing.T) {
	var n atomic.Int32
	calc := demollm.Calculator()
	h := func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, *fakeopenai.APIError) {
		if n.Add(1) == 1 {
			return openai.ChatCompletionResponse{}, &fakeopenai.APIError{Status: 429, Message: "Rate limit reached", RetryAfter: "2"}
		}
		return calc(req)
	}
	// The runner jumps its clock to the requested resync: nothing sleeps.
	s := newScenario(t, false, h, hooks.Deps{}, withTask("calculator-operator", "What is 3 * 4?"))
	s.run(t)
	task := get[v1.Task](t, s.r, "Task", "add-task")
	assert.Equal(t, v1.TaskRunPhaseFinalAnswer, task.Status.Phase)
	assert.Equal(t, "3 * 4 = 12", task.Status.Output)
	run := get[v1.TaskRun](t, s.r, "TaskRun", "add-task-run")
	assert.Equal(t, []v1.Phase{"Pending", "SendContextWindowToLLM", "ToolCallsPending", "SendContextWindowToLLM", "FinalAnswer"}, phases(run.Status.PhaseHistory),
		"the failed attempt stays in SendContextWindowToLLM instead of adding a transition")
	assert.Equal(t, 3, s.llm.Calls(), "one retry after the 429, then one call per round")
}

// TestAgentBecomesReadyLater: without the API key Secret everything waits
// (Pending, not Error); once it is created the task runs.
func TestAgentBecomesReadyLater(t *testing.T) {
	var secret runner.Object
	s := newScenario(t, false, nil, hooks.Deps{}, func(objs []runner.Object) []runner.Object {
		var out []runner.Object
		for _, o := range objs {
			if o.Kind() == "Secret" && o.Name() == "openai" {
				secret = o
				continue
			}
			out = append(out, o)
		}
		return out
	})
	require.NotNil(t, secret, "samples/secrets.example.yaml defines the openai Secret")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, s.r.Run(ctx, nil))

	task := get[v1.Task](t, s.r, "Task", "add-task")
	assert.Equal(t, v1.StatusPending, task.Status.Status)
	assert.Contains(t, task.Status.StatusDetail, `waiting for agent "project-manager"`)
	llm := get[v1.LLM](t, s.r, "LLM", "gpt-4o")
	assert.Equal(t, v1.StatusPending, llm.Status.Status)
	assert.Contains(t, llm.Status.StatusDetail, "openai")
	assert.Zero(t, s.llm.Calls())

	require.NoError(t, s.r.Apply(secret))
	s.run(t)
	task = get[v1.Task](t, s.r, "Task", "add-task")
	assert.Equal(t, v1.TaskRunPhaseFinalAnswer, task.Status.Phase)
	assert.Equal(t, "2 + 2 = 4", task.Status.Output)
}

// TestAPIRequestsPerTask measures what one delegated task costs the API
// server under the emulated Metacontroller, once the agents are Ready: the
// brief's target is at most 20 requests per task.
func TestAPIRequestsPerTask(t *testing.T) {
	var task runner.Object
	s := newScenario(t, false, nil, hooks.Deps{}, func(objs []runner.Object) []runner.Object {
		var out []runner.Object
		for _, o := range objs {
			if o.Kind() == "Task" {
				task = o
				continue
			}
			out = append(out, o)
		}
		return out
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, s.r.Run(ctx, nil))
	before := s.r.Stats()
	require.NoError(t, s.r.Apply(task))
	s.run(t)
	require.NoError(t, s.r.Run(ctx, nil)) // let the last status writes settle
	after := s.r.Stats()
	got := get[v1.Task](t, s.r, "Task", "add-task")
	require.Equal(t, v1.TaskRunPhaseFinalAnswer, got.Status.Phase)
	t.Logf("one delegated task: %d API requests (%d creates, %d status GETs, %d status writes), %d syncs, %d LLM calls",
		after.APIRequests-before.APIRequests, after.ChildCreates-before.ChildCreates, after.StatusGets-before.StatusGets,
		after.StatusWrites-before.StatusWrites, after.Syncs-before.Syncs, s.llm.Calls())
	assert.Equal(t, 4, s.llm.Calls())
}
