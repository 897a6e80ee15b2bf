package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TaskInput is the work handed to an agent.
type TaskInput struct {
	// Message is the request, sent to the agent as the user message.
	// +kubebuilder:validation:MinLength=1
	Message string `json:"message"`
	// Goal is the larger objective the message serves, when there is one.
	// +optional
	Goal string `json:"goal,omitempty"`
	// EverythingThatHappenedSoFar is background the agent should know (used by delegation).
	// +optional
	EverythingThatHappenedSoFar string `json:"everything_that_happened_so_far,omitempty"`
}

// TaskSpec is a piece of work for an agent.
type TaskSpec struct {
	// AgentRef names the agent that does the work.
	AgentRef LocalObjectReference `json:"agentRef"`
	// LaunchImmediately starts a TaskRun as soon as the Task exists. When false, nothing runs until
	// it is set to true (kubectl patch task NAME --type merge -p '{"spec":{"launchImmediately":true}}').
	// +optional
	LaunchImmediately bool `json:"launchImmediately,omitempty"`
	// Input is the work itself.
	Input TaskInput `json:"input"`
}

// TaskStatus mirrors the Task's TaskRun.
type TaskStatus struct {
	CommonStatus `json:",inline"`
	// Phase is the TaskRun's phase.
	// +optional
	Phase Phase `json:"phase,omitempty"`
	// TaskRunRef names the TaskRun doing the work.
	// +optional
	TaskRunRef *LocalObjectReference `json:"taskRunRef,omitempty"`
	// Output is the final answer.
	// +optional
	Output string `json:"output,omitempty"`
	// Error says why the run failed.
	// +optional
	Error string `json:"error,omitempty"`
}

// Task asks an agent to do one piece of work.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kubechain
// +kubebuilder:printcolumn:name="Agent",type=string,JSONPath=`.spec.agentRef.name`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Output",type=string,JSONPath=`.status.output`
// +kubebuilder:printcolumn:name="Detail",type=string,JSONPath=`.status.statusDetail`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Task struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the work.
	Spec TaskSpec `json:"spec"`
	// Status is written by the Task hook.
	// +optional
	Status TaskStatus `json:"status,omitempty"`
}

// TaskList is a list of Tasks.
// +kubebuilder:object:root=true
type TaskList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Tasks.
	Items []Task `json:"items"`
}
