package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The phases of a TaskRun.
const (
	// TaskRunPhasePending: waiting for the agent (and its LLM and tools) to be Ready.
	TaskRunPhasePending Phase = "Pending"
	// TaskRunPhaseSendContextWindowToLLM: the context window is being sent to the LLM.
	TaskRunPhaseSendContextWindowToLLM Phase = "SendContextWindowToLLM"
	// TaskRunPhaseToolCallsPending: the LLM asked for tool calls; waiting for all of them to finish.
	TaskRunPhaseToolCallsPending Phase = "ToolCallsPending"
	// TaskRunPhaseFinalAnswer: the LLM answered without tool calls; output holds the answer.
	TaskRunPhaseFinalAnswer Phase = "FinalAnswer"
	// TaskRunPhaseFailed: the run stopped for good; error says why.
	TaskRunPhaseFailed Phase = "Failed"
)

// Message roles in a context window.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// TaskRunSpec is one execution of a Task, or of a delegated tool call.
type TaskRunSpec struct {
	// TaskRef names the Task this run executes. Set for top-level runs.
	// +optional
	TaskRef *LocalObjectReference `json:"taskRef,omitempty"`
	// AgentRef names the agent that does the work. Set by the Task or the delegating tool call.
	AgentRef LocalObjectReference `json:"agentRef"`
	// TaskRunToolCallRef names the delegating tool call, for a run created by delegation.
	// +optional
	TaskRunToolCallRef *LocalObjectReference `json:"taskRunToolCallRef,omitempty"`
	// Input is the work; copied from the Task or from the delegating call's arguments.
	Input TaskInput `json:"input"`
	// DelegationDepth counts the delegations above this run (0 for a Task's run).
	// +optional
	// +kubebuilder:validation:Minimum=0
	DelegationDepth int32 `json:"delegationDepth,omitempty"`
}

// ToolCall is an assistant's request to call a function, as in the OpenAI API.
type ToolCall struct {
	// ID identifies the call; the tool message answering it carries the same id.
	ID string `json:"id"`
	// Type is always "function".
	Type string `json:"type"`
	// Function is the function and its arguments.
	Function FunctionCall `json:"function"`
}

// FunctionCall is a function name and its JSON arguments.
type FunctionCall struct {
	// Name of the function.
	Name string `json:"name"`
	// Arguments as JSON text, as the LLM produced them.
	Arguments string `json:"arguments"`
}

// Message is one entry of a context window, as in the OpenAI chat API.
type Message struct {
	// Role is system, user, assistant or tool.
	// +kubebuilder:validation:Enum=system;user;assistant;tool
	Role string `json:"role"`
	// Content is the text of the message.
	// +optional
	Content string `json:"content,omitempty"`
	// ToolCalls are the calls an assistant message asks for.
	// +optional
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID links a tool message to the call it answers.
	// +optional
	ToolCallID string `json:"tool_call_id,omitempty"`
	// Name is the function name of a tool message.
	// +optional
	Name string `json:"name,omitempty"`
}

// TaskRunStatus is the progress of a TaskRun.
type TaskRunStatus struct {
	CommonStatus `json:",inline"`
	// Phase is the current step.
	// +optional
	// +kubebuilder:validation:Enum=Pending;SendContextWindowToLLM;ToolCallsPending;FinalAnswer;Failed
	Phase Phase `json:"phase,omitempty"`
	// PhaseHistory records each phase entered, in order, with its time.
	// +optional
	PhaseHistory []PhaseTransition `json:"phaseHistory,omitempty"`
	// ContextWindow is the conversation so far.
	// +optional
	ContextWindow []Message `json:"contextWindow,omitempty"`
	// Output is the final answer.
	// +optional
	Output string `json:"output,omitempty"`
	// Error says why the run failed.
	// +optional
	Error string `json:"error,omitempty"`
}

// TaskRun is one execution of the agent loop.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kubechain,shortName=tr
// +kubebuilder:printcolumn:name="Agent",type=string,JSONPath=`.spec.agentRef.name`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Output",type=string,JSONPath=`.status.output`
// +kubebuilder:printcolumn:name="Detail",type=string,JSONPath=`.status.statusDetail`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TaskRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is what to run.
	Spec TaskRunSpec `json:"spec"`
	// Status is written by the TaskRun hook.
	// +optional
	Status TaskRunStatus `json:"status,omitempty"`
}

// TaskRunList is a list of TaskRuns.
// +kubebuilder:object:root=true
type TaskRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the TaskRuns.
	Items []TaskRun `json:"items"`
}
