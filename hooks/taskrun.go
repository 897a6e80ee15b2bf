package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// TaskRunChildren are the observed children of a TaskRun.
type TaskRunChildren struct {
	// ToolCalls are the TaskRunToolCalls, by name.
	ToolCalls map[string]v1.TaskRunToolCall `json:"TaskRunToolCall.kubechain.humanlayer.dev/v1alpha1"`
}

// TaskRunRelated are the objects CustomizeTaskRun asks for.
type TaskRunRelated struct {
	Agents          map[string]v1.Agent          `json:"Agent.kubechain.humanlayer.dev/v1alpha1"`
	LLMs            map[string]v1.LLM            `json:"LLM.kubechain.humanlayer.dev/v1alpha1"`
	Tools           map[string]v1.Tool           `json:"Tool.kubechain.humanlayer.dev/v1alpha1"`
	ToolSets        map[string]v1.ToolSet        `json:"ToolSet.kubechain.humanlayer.dev/v1alpha1"`
	ContactChannels map[string]v1.ContactChannel `json:"ContactChannel.kubechain.humanlayer.dev/v1alpha1"`
	Secrets         map[string]Secret            `json:"Secret.v1"`
}

// TaskRunSyncRequest is the sync request of a TaskRun.
type TaskRunSyncRequest = SyncRequest[v1.TaskRun, TaskRunChildren, TaskRunRelated]

// TaskRunSyncResponse is the sync response of a TaskRun.
type TaskRunSyncResponse = SyncResponse[v1.TaskRunStatus]

// toolCallChild is a desired TaskRunToolCall, emitted without status.
type toolCallChild struct {
	APIVersion string                 `json:"apiVersion"`
	Kind       string                 `json:"kind"`
	Metadata   ChildMeta              `json:"metadata"`
	Spec       v1.TaskRunToolCallSpec `json:"spec"`
}

// everything selects every object of a resource in the parent's namespace.
var everything = &metav1.LabelSelector{}

// CustomizeTaskRun asks for what a TaskRun's sync needs: the agents, LLMs,
// tools, tool sets and contact channels of its namespace (an agent's tools
// and delegation targets are only known from the agent itself) and the
// Secret named by the TaskRun's llm-secret annotation.
func (h *Hooks) CustomizeTaskRun(_ context.Context, req *CustomizeRequest[v1.TaskRun]) (*CustomizeResponse, error) {
	rules := []RelatedResourceRule{
		{APIVersion: v1.APIVersion, Resource: "agents", LabelSelector: everything},
		{APIVersion: v1.APIVersion, Resource: "llms", LabelSelector: everything},
		{APIVersion: v1.APIVersion, Resource: "tools", LabelSelector: everything},
		{APIVersion: v1.APIVersion, Resource: "toolsets", LabelSelector: everything},
		{APIVersion: v1.APIVersion, Resource: "contactchannels", LabelSelector: everything},
	}
	if s := req.Parent.Annotations[AnnotationLLMSecret]; s != "" {
		rules = append(rules, RelatedResourceRule{APIVersion: "v1", Resource: "secrets", Names: []string{s}})
	}
	return &CustomizeResponse{RelatedResources: rules}, nil
}

// SyncTaskRun advances the agent loop of one TaskRun.
//
// The status is a function of the parent's recorded status and the observed
// children: a round that asked for tools is recorded twice, in the
// assistant message of the status and in the TaskRunToolCall children
// (which Metacontroller creates before it writes status). So when the parent
// is stale but the children of the next round exist, the round is rebuilt
// from them and the LLM is not asked again. Only when neither the status nor
// the children nor the reply cache know the next round is the LLM called.
func (h *Hooks) SyncTaskRun(ctx context.Context, req *TaskRunSyncRequest) (*TaskRunSyncResponse, error) {
	s := &taskRunSync{h: h, req: req, tr: &req.Parent, now: h.deps.Now(), desired: map[string]int{}}
	s.st = req.Parent.Status
	s.st.CommonStatus = v1.CommonStatus{Conditions: req.Parent.Status.Conditions}
	// Every observed child is desired again: a child we stop returning is deleted.
	for _, name := range sortedKeys(req.Children.ToolCalls) {
		c := req.Children.ToolCalls[name]
		s.addChild(toolCallChild{APIVersion: v1.APIVersion, Kind: "TaskRunToolCall", Metadata: ChildMeta{Name: name, Labels: ourLabels(c.Labels)}, Spec: c.Spec})
	}
	s.run(ctx)
	return s.response(), nil
}

type taskRunSync struct {
	h        *Hooks
	req      *TaskRunSyncRequest
	tr       *v1.TaskRun
	now      time.Time
	st       v1.TaskRunStatus
	children []any
	desired  map[string]int // child name → index in children
	resync   float64

	// the outcome for the common status block
	status v1.StatusType
	reason string
	detail string

	resolved bool
	env      *runEnv
	envProb  *problem
}

// runEnv is what an LLM call needs.
type runEnv struct {
	agent *v1.Agent
	llm   *v1.LLM
	key   string
	tools []offeredTool
}

func (s *taskRunSync) addChild(c toolCallChild) {
	if _, ok := s.desired[c.Metadata.Name]; ok {
		return
	}
	s.desired[c.Metadata.Name] = len(s.children)
	s.children = append(s.children, c)
}

func (s *taskRunSync) set(st v1.StatusType, reason, detail string) {
	s.status, s.reason, s.detail = st, reason, detail
}

func (s *taskRunSync) response() *TaskRunSyncResponse {
	s.st.CommonStatus = commonStatus(s.tr.Status.CommonStatus, s.status, s.reason, s.detail, s.tr.Generation, s.now)
	if s.children == nil {
		s.children = []any{}
	}
	return &TaskRunSyncResponse{Status: s.st, Children: s.children, ResyncAfterSeconds: s.resync}
}

// enter records a phase transition; re-entering the current phase records nothing.
func (s *taskRunSync) enter(p v1.Phase, at time.Time) {
	enterPhase(&s.st.Phase, &s.st.PhaseHistory, p, at)
}

func (s *taskRunSync) fail(at time.Time, msg string) {
	s.enter(v1.TaskRunPhaseFailed, at)
	s.st.Error = msg
	s.set(v1.StatusError, ReasonFailed, msg)
}

func (s *taskRunSync) resolve() (*runEnv, *problem) {
	if s.resolved {
		return s.env, s.envProb
	}
	s.resolved = true
	rel := &s.req.Related
	agent, llm, p := resolveAgentLLM(s.tr.Spec.AgentRef.Name, rel.Agents, rel.LLMs)
	if p != nil {
		s.envProb = p
		return nil, p
	}
	key, p := apiKey(llm, rel.Secrets)
	if p != nil {
		if s.tr.Annotations[AnnotationLLMSecret] != llm.Spec.APIKeyFrom.SecretKeyRef.Name {
			p.detail += fmt.Sprintf("; the TaskRun's %s annotation must name it", AnnotationLLMSecret)
		}
		s.envProb = p
		return nil, p
	}
	tools, p := resolveTools(agent, rel.Tools, rel.ToolSets, rel.Agents, rel.ContactChannels)
	if p != nil {
		s.envProb = p
		return nil, p
	}
	s.env = &runEnv{agent: agent, llm: llm, key: key, tools: tools}
	return s.env, nil
}

func (s *taskRunSync) run(ctx context.Context) {
	switch s.st.Phase {
	case v1.TaskRunPhaseFinalAnswer:
		s.set(v1.StatusReady, ReasonReady, "final answer")
		return
	case v1.TaskRunPhaseFailed:
		s.set(v1.StatusError, ReasonFailed, s.st.Error)
		return
	}
	startPhases(&s.st.Phase, &s.st.PhaseHistory, v1.TaskRunPhasePending, s.tr.CreationTimestamp, s.now)
	if len(s.st.ContextWindow) == 0 {
		env, p := s.resolve()
		if p != nil {
			s.set(p.status, p.reason, p.detail)
			return
		}
		s.st.ContextWindow = initialContextWindow(env.agent.Spec.SystemPrompt, s.tr.Spec.Input)
	}
	before := s.st

	for {
		window := s.st.ContextWindow
		last := window[len(window)-1]
		round := assistantRounds(window)
		if last.Role == v1.RoleAssistant && len(last.ToolCalls) > 0 {
			if !s.collectToolResults(round, last.ToolCalls) {
				break
			}
			continue
		}
		if last.Role == v1.RoleAssistant {
			// A recorded reply without tool calls is the final answer.
			s.enter(v1.TaskRunPhaseFinalAnswer, s.now)
			s.st.Output = last.Content
			s.set(v1.StatusReady, ReasonReady, "final answer")
			break
		}
		next := round + 1
		if next > s.h.deps.MaxRounds {
			s.fail(s.now, fmt.Sprintf("no final answer after %d LLM rounds (the limit); the agent keeps calling tools", s.h.deps.MaxRounds))
			break
		}
		reply, ok := s.recordedRound(next)
		if !ok {
			reply, ok = s.callLLM(ctx, next)
			if !ok {
				break
			}
		}
		if reply.Err != nil {
			s.llmError(next, reply)
			break
		}
		s.applyReply(reply)
	}
	s.checkSize(before)
}

// recordedRound finds round next when it already happened: in the reply
// cache, or in observed children of that round (stale parent).
func (s *taskRunSync) recordedRound(next int) (llmReply, bool) {
	if r, ok := s.h.replies.get(string(s.tr.UID), next, s.now); ok {
		return r, true
	}
	var calls []v1.TaskRunToolCall
	for _, c := range s.req.Children.ToolCalls {
		if int(c.Spec.Round) == next {
			calls = append(calls, c)
		}
	}
	if len(calls) == 0 {
		return llmReply{}, false
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].Spec.Index < calls[j].Spec.Index })
	at := calls[0].CreationTimestamp.Time
	msg := v1.Message{Role: v1.RoleAssistant}
	for _, c := range calls {
		msg.ToolCalls = append(msg.ToolCalls, v1.ToolCall{ID: c.Spec.ToolCallID, Type: "function", Function: v1.FunctionCall{Name: c.Spec.Tool.Name, Arguments: c.Spec.Arguments}})
		if c.CreationTimestamp.Time.Before(at) {
			at = c.CreationTimestamp.Time
		}
	}
	if at.IsZero() {
		at = s.now
	}
	s.h.log.Info("rebuilt LLM round from observed tool calls (stale parent)", "taskrun", s.tr.Name, "namespace", s.tr.Namespace, "round", next)
	return llmReply{Message: msg, RequestedAt: at, RepliedAt: at}, true
}

// applyReply appends an LLM reply and moves to the phase it implies.
func (s *taskRunSync) applyReply(r llmReply) {
	s.enter(v1.TaskRunPhaseSendContextWindowToLLM, r.RequestedAt)
	s.st.ContextWindow = append(slices.Clip(s.st.ContextWindow), r.Message)
	if len(r.Message.ToolCalls) > 0 {
		s.enter(v1.TaskRunPhaseToolCallsPending, r.RepliedAt)
		return
	}
	s.enter(v1.TaskRunPhaseFinalAnswer, r.RepliedAt)
}

// collectToolResults makes sure every call of the round has its child and,
// when all have finished, appends their results in call order. It reports
// whether the results were appended.
func (s *taskRunSync) collectToolResults(round int, calls []v1.ToolCall) bool {
	results := make([]v1.Message, 0, len(calls))
	waiting := 0
	for i, call := range calls {
		name := toolCallName(s.tr.Name, round, i)
		child, ok := s.req.Children.ToolCalls[name]
		if !ok {
			waiting++
			s.addChild(s.newToolCallChild(round, i, call))
			continue
		}
		if child.Spec.ToolCallID != call.ID {
			s.fail(s.now, fmt.Sprintf("tool call %s belongs to another LLM reply (call id %q, want %q); delete it to retry", name, child.Spec.ToolCallID, call.ID))
			return false
		}
		switch child.Status.Phase {
		case v1.ToolCallPhaseSucceeded:
			results = append(results, toolMessage(call, nonEmpty(child.Status.Result, "(no output)")))
		case v1.ToolCallPhaseFailed:
			results = append(results, toolMessage(call, "error: "+nonEmpty(child.Status.Error, "the tool call failed without an error message")))
		default:
			waiting++
		}
	}
	if waiting > 0 {
		s.enter(v1.TaskRunPhaseToolCallsPending, s.now)
		s.set(v1.StatusPending, ReasonWaiting, fmt.Sprintf("round %d: waiting for %d tool call(s)", round, len(calls)))
		return false
	}
	s.st.ContextWindow = append(slices.Clip(s.st.ContextWindow), results...)
	return true
}

func toolMessage(call v1.ToolCall, content string) v1.Message {
	return v1.Message{Role: v1.RoleTool, Content: content, ToolCallID: call.ID, Name: call.Function.Name}
}

func nonEmpty(s, fallback string) string {
	if strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}

// newToolCallChild builds the TaskRunToolCall for call index of round, with a
// snapshot of the tool as the LLM saw it.
func (s *taskRunSync) newToolCallChild(round, index int, call v1.ToolCall) toolCallChild {
	tool := v1.ToolSpec{Name: call.Function.Name, Type: v1.ToolTypeFunction}
	source := call.Function.Name
	if env, p := s.resolve(); p == nil {
		for _, t := range env.tools {
			if t.Spec.Name == call.Function.Name {
				tool, source = t.Spec, t.Source
				break
			}
		}
	}
	if source == "" {
		source = "unknown"
	}
	labels := map[string]string{}
	setLabel(labels, LabelTaskRun, s.tr.Name)
	return toolCallChild{
		APIVersion: v1.APIVersion,
		Kind:       "TaskRunToolCall",
		Metadata:   ChildMeta{Name: toolCallName(s.tr.Name, round, index), Labels: labels},
		Spec: v1.TaskRunToolCallSpec{
			TaskRunRef:      v1.LocalObjectReference{Name: s.tr.Name},
			ToolRef:         v1.LocalObjectReference{Name: source},
			ToolCallID:      call.ID,
			Arguments:       call.Function.Arguments,
			Round:           int32(round),
			Index:           int32(index),
			Tool:            tool,
			DelegationDepth: s.tr.Spec.DelegationDepth,
		},
	}
}

// callLLM asks the LLM for round next. It reports done=false when the round
// could not happen now (the status then says why).
func (s *taskRunSync) callLLM(ctx context.Context, next int) (llmReply, bool) {
	env, p := s.resolve()
	if p != nil {
		s.set(p.status, p.reason, p.detail)
		return llmReply{}, false
	}
	client, err := s.h.deps.LLMs(LLMEndpoint{Provider: string(env.llm.Spec.Provider), BaseURL: env.llm.Spec.Config.BaseURL, APIKey: env.key})
	if err != nil {
		s.fail(s.now, fmt.Sprintf("LLM %q: %v", env.llm.Name, err))
		return llmReply{}, false
	}
	req := chatRequest(env, s.st.ContextWindow)
	cctx, cancel := context.WithTimeout(ctx, s.h.deps.LLMCallTimeout)
	defer cancel()
	requestedAt := s.now
	resp, err := client.CreateChatCompletion(cctx, req)
	repliedAt := s.h.deps.Now()
	reply := llmReply{RequestedAt: requestedAt, RepliedAt: repliedAt}
	if err == nil && len(resp.Choices) == 0 {
		err = &openai.APIError{HTTPStatusCode: http.StatusBadGateway, Message: "the reply has no choices"}
	}
	switch {
	case err != nil:
		reply.Err = err
		reply.RetryAfterSeconds = s.backoff(requestedAt, repliedAt)
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) && ra.RetryAfter().Seconds() > reply.RetryAfterSeconds {
			// The provider said when to come back (Retry-After).
			reply.RetryAfterSeconds = min(ra.RetryAfter().Seconds(), 600)
		}
		reply.Until = repliedAt.Add(time.Duration(reply.RetryAfterSeconds * float64(time.Second)))
	default:
		reply.Message = fromOpenAI(resp.Choices[0].Message, next)
		s.h.log.Info("LLM replied", "taskrun", s.tr.Name, "namespace", s.tr.Namespace, "round", next, "toolCalls", len(reply.Message.ToolCalls), "duration", repliedAt.Sub(requestedAt))
	}
	s.h.replies.put(string(s.tr.UID), next, reply, repliedAt)
	return reply, true
}

// backoff is the retry delay after a transient failure of a call started at
// requestedAt: it grows with the time the run has already spent in
// SendContextWindowToLLM, so no counter is kept in status.
func (s *taskRunSync) backoff(requestedAt, at time.Time) float64 {
	since := requestedAt
	if n := len(s.st.PhaseHistory); n > 0 && s.st.Phase == v1.TaskRunPhaseSendContextWindowToLLM {
		since = s.st.PhaseHistory[n-1].TransitionTime.Time
	}
	return backoffSeconds(at.Sub(since))
}

// llmError classifies a failed LLM call: transient errors (rate limits,
// server errors, timeouts, network) keep the phase and retry with backoff;
// the provider refusing the request fails the run with its message.
func (s *taskRunSync) llmError(next int, r llmReply) {
	env, _ := s.resolve()
	name := s.tr.Spec.AgentRef.Name
	if env != nil {
		name = env.llm.Name
	}
	code, msg := providerError(r.Err)
	if code != 0 && !transientStatus(code) {
		s.fail(r.RepliedAt, fmt.Sprintf("LLM %q refused round %d (HTTP %d): %s", name, next, code, msg))
		return
	}
	s.resync = r.RetryAfterSeconds
	s.enter(v1.TaskRunPhaseSendContextWindowToLLM, r.RequestedAt)
	if code != 0 {
		s.set(v1.StatusPending, ReasonProviderError, fmt.Sprintf("LLM %q call failed (HTTP %d): %s; retrying with backoff", name, code, msg))
	} else {
		s.set(v1.StatusPending, ReasonProviderError, fmt.Sprintf("LLM %q call failed: %s; retrying with backoff", name, msg))
	}
	s.h.log.Warn("LLM call failed, will retry", "taskrun", s.tr.Name, "namespace", s.tr.Namespace, "round", next, "status", code, "err", msg, "resyncAfterSeconds", s.resync)
}

// backoffSeconds doubles the wait with the time already spent failing, from
// 1 s up to 60 s, without keeping a counter in status.
func backoffSeconds(elapsed time.Duration) float64 {
	d := elapsed.Seconds()
	switch {
	case d < 1:
		return 1
	case d > 60:
		return 60
	}
	return float64(int(d + 0.5))
}

func transientStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

// providerError extracts the HTTP status and a message from a go-openai error.
func providerError(err error) (int, string) {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode, apiErr.Message
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		msg := http.StatusText(reqErr.HTTPStatusCode)
		if reqErr.Err != nil {
			msg = reqErr.Err.Error()
		}
		return reqErr.HTTPStatusCode, msg
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return 0, "timed out"
	}
	return 0, err.Error()
}

// checkSize fails the run before its status outgrows what the API server stores.
func (s *taskRunSync) checkSize(before v1.TaskRunStatus) {
	size := estimateStatusBytes(&s.st)
	if size <= s.h.deps.MaxStatusBytes {
		return
	}
	// Keep what was stored before this sync (it fit), drop the children this
	// sync would have added, and say why the run stops.
	added := s.children
	s.st = before
	s.children = nil
	s.desired = map[string]int{}
	for _, c := range added {
		if _, ok := s.req.Children.ToolCalls[c.(toolCallChild).Metadata.Name]; ok {
			s.addChild(c.(toolCallChild))
		}
	}
	s.resync = 0
	s.fail(s.now, fmt.Sprintf("the context window would grow to about %d bytes, more than the %d a TaskRun status may hold", size, s.h.deps.MaxStatusBytes))
}

// estimateStatusBytes approximates the JSON size of a TaskRun status without encoding it.
func estimateStatusBytes(st *v1.TaskRunStatus) int {
	n := 512 + len(st.Output) + len(st.Error) + 80*len(st.PhaseHistory)
	for i := range st.ContextWindow {
		m := &st.ContextWindow[i]
		n += 64 + len(m.Content) + len(m.ToolCallID) + len(m.Name)
		for _, tc := range m.ToolCalls {
			n += 64 + len(tc.ID) + len(tc.Function.Name) + len(tc.Function.Arguments)
		}
	}
	return n
}

// initialContextWindow is the system prompt and the user message of a run.
func initialContextWindow(systemPrompt string, in v1.TaskInput) []v1.Message {
	var b strings.Builder
	b.WriteString(in.Message)
	if in.Goal != "" {
		b.WriteString("\n\nGoal: ")
		b.WriteString(in.Goal)
	}
	if in.EverythingThatHappenedSoFar != "" {
		b.WriteString("\n\nEverything that happened so far: ")
		b.WriteString(in.EverythingThatHappenedSoFar)
	}
	return []v1.Message{{Role: v1.RoleSystem, Content: systemPrompt}, {Role: v1.RoleUser, Content: b.String()}}
}

func assistantRounds(window []v1.Message) int {
	n := 0
	for i := range window {
		if window[i].Role == v1.RoleAssistant {
			n++
		}
	}
	return n
}

// chatRequest builds the chat completion for a context window, with the
// LLM's parameters and the agent's tools.
func chatRequest(env *runEnv, window []v1.Message) openai.ChatCompletionRequest {
	cfg := env.llm.Spec.Config
	req := openai.ChatCompletionRequest{Model: cfg.Model, Messages: make([]openai.ChatCompletionMessage, 0, len(window))}
	for _, m := range window {
		om := openai.ChatCompletionMessage{Role: m.Role, Content: m.Content, ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			om.ToolCalls = append(om.ToolCalls, openai.ToolCall{ID: tc.ID, Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: tc.Function.Name, Arguments: tc.Function.Arguments}})
		}
		req.Messages = append(req.Messages, om)
	}
	for _, t := range env.tools {
		params := json.RawMessage(`{"type":"object","properties":{}}`)
		if t.Spec.Arguments != nil && len(t.Spec.Arguments.Raw) > 0 {
			params = json.RawMessage(t.Spec.Arguments.Raw)
		}
		req.Tools = append(req.Tools, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: t.Spec.Name, Description: t.Spec.Description, Parameters: params}})
	}
	if cfg.Temperature != nil {
		req.Temperature = float32(*cfg.Temperature)
	}
	if cfg.MaxTokens != nil {
		req.MaxTokens = int(*cfg.MaxTokens)
	}
	if cfg.TopP != nil {
		req.TopP = float32(*cfg.TopP)
	}
	if cfg.FrequencyPenalty != nil {
		req.FrequencyPenalty = float32(*cfg.FrequencyPenalty)
	}
	if cfg.PresencePenalty != nil {
		req.PresencePenalty = float32(*cfg.PresencePenalty)
	}
	if cfg.Seed != nil {
		seed := int(*cfg.Seed)
		req.Seed = &seed
	}
	if len(cfg.Stop) > 0 {
		req.Stop = cfg.Stop
	}
	return req
}

// fromOpenAI converts an assistant reply, giving calls without an id a
// deterministic one.
func fromOpenAI(m openai.ChatCompletionMessage, round int) v1.Message {
	out := v1.Message{Role: v1.RoleAssistant, Content: m.Content}
	for i, tc := range m.ToolCalls {
		id := tc.ID
		if id == "" {
			id = "call_r" + strconv.Itoa(round) + "_" + strconv.Itoa(i)
		}
		out.ToolCalls = append(out.ToolCalls, v1.ToolCall{ID: id, Type: "function", Function: v1.FunctionCall{Name: tc.Function.Name, Arguments: tc.Function.Arguments}})
	}
	return out
}

// ourLabels keeps only kubechain's labels of an observed child (Metacontroller adds controller-uid itself).
func ourLabels(in map[string]string) map[string]string {
	var out map[string]string
	for k, v := range in {
		if strings.HasPrefix(k, v1.Group+"/") {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
