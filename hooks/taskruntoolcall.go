package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
	"github.com/humanlayer/kubechain/internal/builtin"
)

// TaskRunToolCallChildren are the observed children of a TaskRunToolCall.
type TaskRunToolCallChildren struct {
	// TaskRuns holds the delegated run of a delegateToAgent call.
	TaskRuns map[string]v1.TaskRun `json:"TaskRun.kubechain.humanlayer.dev/v1alpha1"`
}

// TaskRunToolCallRelated are the objects CustomizeTaskRunToolCall asks for.
type TaskRunToolCallRelated struct {
	Agents map[string]v1.Agent `json:"Agent.kubechain.humanlayer.dev/v1alpha1"`
	LLMs   map[string]v1.LLM   `json:"LLM.kubechain.humanlayer.dev/v1alpha1"`
}

// TaskRunToolCallSyncRequest is the sync request of a TaskRunToolCall.
type TaskRunToolCallSyncRequest = SyncRequest[v1.TaskRunToolCall, TaskRunToolCallChildren, TaskRunToolCallRelated]

// TaskRunToolCallSyncResponse is the sync response of a TaskRunToolCall.
type TaskRunToolCallSyncResponse = SyncResponse[v1.TaskRunToolCallStatus]

// CustomizeTaskRunToolCall asks for the delegate agent and the LLMs of a
// delegating call; other calls need nothing related.
func (h *Hooks) CustomizeTaskRunToolCall(_ context.Context, req *CustomizeRequest[v1.TaskRunToolCall]) (*CustomizeResponse, error) {
	t := req.Parent.Spec.Tool
	if t.Type != v1.ToolTypeDelegateToAgent || t.AgentRef == nil {
		return &CustomizeResponse{RelatedResources: []RelatedResourceRule{}}, nil
	}
	return &CustomizeResponse{RelatedResources: []RelatedResourceRule{
		{APIVersion: v1.APIVersion, Resource: "agents", Names: []string{t.AgentRef.Name}},
		{APIVersion: v1.APIVersion, Resource: "llms", LabelSelector: everything},
	}}, nil
}

// SyncTaskRunToolCall executes one tool call at most once: a builtin runs
// inside the sync that first sees the call and its result is recorded in
// status; a delegation creates one child TaskRun (a deterministic name, so a
// repeated sync cannot create a second) and mirrors its outcome.
func (h *Hooks) SyncTaskRunToolCall(_ context.Context, req *TaskRunToolCallSyncRequest) (*TaskRunToolCallSyncResponse, error) {
	s := &toolCallSync{h: h, req: req, tc: &req.Parent, now: h.deps.Now()}
	s.st = req.Parent.Status
	s.children = make([]any, 0, len(req.Children.TaskRuns)+1)
	for _, name := range sortedKeys(req.Children.TaskRuns) {
		s.children = append(s.children, observedTaskRunChild(name, req.Children.TaskRuns[name]))
	}
	s.run()
	s.st.CommonStatus = commonStatus(s.tc.Status.CommonStatus, s.status, s.reason, s.detail, s.tc.Generation, s.now)
	return &TaskRunToolCallSyncResponse{Status: s.st, Children: s.children}, nil
}

type toolCallSync struct {
	h        *Hooks
	req      *TaskRunToolCallSyncRequest
	tc       *v1.TaskRunToolCall
	now      time.Time
	st       v1.TaskRunToolCallStatus
	children []any
	status   v1.StatusType
	reason   string
	detail   string
}

func (s *toolCallSync) enter(p v1.Phase) {
	enterPhase(&s.st.Phase, &s.st.PhaseHistory, p, s.now)
}

func (s *toolCallSync) succeed(result string) {
	s.enter(v1.ToolCallPhaseSucceeded)
	s.st.Result = result
	s.status, s.reason, s.detail = v1.StatusReady, ReasonReady, "succeeded"
}

func (s *toolCallSync) fail(msg string) {
	s.enter(v1.ToolCallPhaseFailed)
	s.st.Error = msg
	s.status, s.reason, s.detail = v1.StatusError, ReasonFailed, msg
}

func (s *toolCallSync) wait(p v1.Phase, reason, detail string) {
	s.enter(p)
	s.status, s.reason, s.detail = v1.StatusPending, reason, detail
}

func (s *toolCallSync) run() {
	switch s.st.Phase {
	case v1.ToolCallPhaseSucceeded:
		s.status, s.reason, s.detail = v1.StatusReady, ReasonReady, "succeeded"
		return
	case v1.ToolCallPhaseFailed:
		s.status, s.reason, s.detail = v1.StatusError, ReasonFailed, s.st.Error
		return
	}
	startPhases(&s.st.Phase, &s.st.PhaseHistory, v1.ToolCallPhasePending, s.tc.CreationTimestamp, s.now)
	tool := s.tc.Spec.Tool
	switch tool.Type {
	case v1.ToolTypeFunction, "":
		s.runBuiltin(tool)
	case v1.ToolTypeDelegateToAgent:
		s.delegate(tool)
	case v1.ToolTypeHumanContact:
		channel := "(none)"
		if tool.ContactChannelRef != nil {
			channel = tool.ContactChannelRef.Name
		}
		s.wait(v1.ToolCallPhasePending, ReasonWaiting, fmt.Sprintf("waiting: asking a human through ContactChannel %q is not supported by this version of kubechain yet; the call stays pending and its TaskRun waits", channel))
	default:
		s.fail(fmt.Sprintf("tool %q has unknown type %q", tool.Name, tool.Type))
	}
}

// parseArguments decodes and validates the call's arguments against the tool's schema.
func parseArguments(tool v1.ToolSpec, raw string) (map[string]any, error) {
	args := map[string]any{}
	if strings.TrimSpace(raw) != "" {
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			return nil, fmt.Errorf("arguments are not a JSON object: %v", err)
		}
	}
	sch, err := compileArgumentsSchema(tool.Arguments)
	if err != nil {
		return nil, fmt.Errorf("the tool's arguments schema is invalid: %v", err)
	}
	if sch != nil {
		if err := sch.Validate(map[string]any(args)); err != nil {
			return nil, fmt.Errorf("arguments do not match the tool's schema: %s", validationMessage(err))
		}
	}
	return args, nil
}

// validationMessage flattens a schema validation error to its leaf failures,
// e.g. "at '/a': got string, want number; at ”: missing property 'b'".
func validationMessage(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return strings.Join(strings.Fields(err.Error()), " ")
	}
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, strings.ReplaceAll(e.Error(), "jsonschema validation failed with '"+argumentsSchemaURL+"#'\n- ", ""))
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(leaves, "; ")
}

func (s *toolCallSync) runBuiltin(tool v1.ToolSpec) {
	if tool.Execute == nil || tool.Execute.Builtin == nil {
		s.fail(fmt.Sprintf("function %q is not one of the agent's tools, or has nothing to execute", tool.Name))
		return
	}
	fn, ok := builtin.Lookup(tool.Execute.Builtin.Name)
	if !ok {
		s.fail(fmt.Sprintf("unknown builtin %q (known: %s)", tool.Execute.Builtin.Name, strings.Join(builtin.Names(), ", ")))
		return
	}
	args, err := parseArguments(tool, s.tc.Spec.Arguments)
	if err != nil {
		s.fail(err.Error())
		return
	}
	out, err := fn(args)
	if err != nil {
		s.fail(err.Error())
		return
	}
	s.succeed(out)
}

func (s *toolCallSync) delegate(tool v1.ToolSpec) {
	if tool.AgentRef == nil {
		s.fail(fmt.Sprintf("delegate tool %q names no agent", tool.Name))
		return
	}
	name := subTaskRunName(s.tc.Name)
	if run, ok := s.req.Children.TaskRuns[name]; ok {
		s.st.ChildTaskRunRef = &v1.LocalObjectReference{Name: name}
		switch run.Status.Phase {
		case v1.TaskRunPhaseFinalAnswer:
			s.succeed(run.Status.Output)
		case v1.TaskRunPhaseFailed:
			s.fail(fmt.Sprintf("agent %q failed: %s", tool.AgentRef.Name, run.Status.Error))
		default:
			s.wait(v1.ToolCallPhaseAwaitingSubAgent, ReasonWaiting, fmt.Sprintf("waiting for agent %q in TaskRun %s", tool.AgentRef.Name, name))
		}
		return
	}
	depth := s.tc.Spec.DelegationDepth + 1
	if int(depth) > s.h.deps.MaxDelegationDepth {
		s.fail(fmt.Sprintf("cannot delegate to agent %q: the delegation depth limit of %d is reached", tool.AgentRef.Name, s.h.deps.MaxDelegationDepth))
		return
	}
	args, err := parseArguments(tool, s.tc.Spec.Arguments)
	if err != nil {
		s.fail(err.Error())
		return
	}
	msg, _ := args["message"].(string)
	if strings.TrimSpace(msg) == "" {
		s.fail(`delegation needs a non-empty "message" argument`)
		return
	}
	agent, llm, p := resolveAgentLLM(tool.AgentRef.Name, s.req.Related.Agents, s.req.Related.LLMs)
	if p != nil {
		if p.status == v1.StatusError {
			s.fail(p.detail)
			return
		}
		s.wait(v1.ToolCallPhasePending, p.reason, p.detail)
		return
	}
	goal, _ := args["goal"].(string)
	past, _ := args["everything_that_happened_so_far"].(string)
	spec := v1.TaskRunSpec{
		AgentRef:           v1.LocalObjectReference{Name: agent.Name},
		TaskRunToolCallRef: &v1.LocalObjectReference{Name: s.tc.Name},
		Input:              v1.TaskInput{Message: msg, Goal: goal, EverythingThatHappenedSoFar: past},
		DelegationDepth:    depth,
	}
	s.children = append(s.children, newTaskRunChild(name, agent, llm, spec, ""))
	s.st.ChildTaskRunRef = &v1.LocalObjectReference{Name: name}
	s.wait(v1.ToolCallPhaseAwaitingSubAgent, ReasonWaiting, fmt.Sprintf("waiting for agent %q in TaskRun %s", agent.Name, name))
}
