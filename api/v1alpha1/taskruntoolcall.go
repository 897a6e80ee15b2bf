package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The phases of a TaskRunToolCall.
const (
	// ToolCallPhasePending: the call cannot start yet (e.g. its delegate agent is not Ready).
	ToolCallPhasePending Phase = "Pending"
	// ToolCallPhaseAwaitingSubAgent: a delegated TaskRun is working on the call.
	ToolCallPhaseAwaitingSubAgent Phase = "AwaitingSubAgent"
	// ToolCallPhaseAwaitingHuman: the call waits for a human's answer.
	ToolCallPhaseAwaitingHuman Phase = "AwaitingHuman"
	// ToolCallPhaseSucceeded: result holds the answer.
	ToolCallPhaseSucceeded Phase = "Succeeded"
	// ToolCallPhaseFailed: error holds the reason; it is returned to the LLM as the tool's answer.
	ToolCallPhaseFailed Phase = "Failed"
)

// TaskRunToolCallSpec is one tool call requested by an LLM. It carries a snapshot of the tool as
// offered to the LLM, so that the call runs what the LLM saw even if the Tool changes meanwhile.
type TaskRunToolCallSpec struct {
	// TaskRunRef names the TaskRun whose LLM asked for the call.
	TaskRunRef LocalObjectReference `json:"taskRunRef"`
	// ToolRef names the Tool or ToolSet the called function comes from.
	ToolRef LocalObjectReference `json:"toolRef"`
	// ToolCallID is the LLM's id for the call.
	// +kubebuilder:validation:MinLength=1
	ToolCallID string `json:"toolCallId"`
	// Arguments is the call's JSON arguments, as the LLM produced them.
	// +optional
	Arguments string `json:"arguments,omitempty"`
	// Round is the LLM round (1 for the first reply) that asked for the call.
	// +kubebuilder:validation:Minimum=1
	Round int32 `json:"round"`
	// Index is the call's position in the assistant message's tool_calls.
	// +kubebuilder:validation:Minimum=0
	Index int32 `json:"index"`
	// Tool is the tool as it was offered to the LLM; Tool.Name is the function name called.
	Tool ToolSpec `json:"tool"`
	// DelegationDepth is the depth of the calling TaskRun.
	// +optional
	// +kubebuilder:validation:Minimum=0
	DelegationDepth int32 `json:"delegationDepth,omitempty"`
}

// TaskRunToolCallStatus is the progress of a tool call.
type TaskRunToolCallStatus struct {
	CommonStatus `json:",inline"`
	// Phase is the current step.
	// +optional
	// +kubebuilder:validation:Enum=Pending;AwaitingSubAgent;AwaitingHuman;Succeeded;Failed
	Phase Phase `json:"phase,omitempty"`
	// PhaseHistory records each phase entered, in order, with its time.
	// +optional
	PhaseHistory []PhaseTransition `json:"phaseHistory,omitempty"`
	// Result is the tool's answer, returned to the LLM.
	// +optional
	Result string `json:"result,omitempty"`
	// Error says why the call failed; returned to the LLM in place of a result.
	// +optional
	Error string `json:"error,omitempty"`
	// ChildTaskRunRef names the TaskRun a delegated call runs.
	// +optional
	ChildTaskRunRef *LocalObjectReference `json:"childTaskRunRef,omitempty"`
}

// TaskRunToolCall is one tool call of a TaskRun.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kubechain,shortName=trtc
// +kubebuilder:printcolumn:name="TaskRun",type=string,JSONPath=`.spec.taskRunRef.name`
// +kubebuilder:printcolumn:name="Tool",type=string,JSONPath=`.spec.tool.name`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Result",type=string,JSONPath=`.status.result`
// +kubebuilder:printcolumn:name="Detail",type=string,JSONPath=`.status.statusDetail`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TaskRunToolCall struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the call.
	Spec TaskRunToolCallSpec `json:"spec"`
	// Status is written by the TaskRunToolCall hook.
	// +optional
	Status TaskRunToolCallStatus `json:"status,omitempty"`
}

// TaskRunToolCallList is a list of TaskRunToolCalls.
// +kubebuilder:object:root=true
type TaskRunToolCallList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the TaskRunToolCalls.
	Items []TaskRunToolCall `json:"items"`
}
