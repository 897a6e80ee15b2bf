package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AgentSpec describes an agent: a model, a system prompt and the tools it may call.
type AgentSpec struct {
	// LLMRef names the LLM the agent talks to.
	LLMRef LocalObjectReference `json:"llmRef"`
	// SystemPrompt is the first message of every context window of this agent.
	// +kubebuilder:validation:MinLength=1
	SystemPrompt string `json:"systemPrompt"`
	// ToolsetRefs names the Tools and ToolSets the agent may call. Each name is looked up as a Tool
	// first, then as a ToolSet.
	// +optional
	ToolsetRefs []LocalObjectReference `json:"toolsetRefs,omitempty"`
	// Description says what the agent is good at; it is shown to other agents that may delegate to it.
	// +optional
	Description string `json:"description,omitempty"`
}

// AgentStatus is the observed state of an Agent.
type AgentStatus struct {
	CommonStatus `json:",inline"`
}

// Agent is a system prompt, an LLM and a set of tools.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kubechain
// +kubebuilder:printcolumn:name="LLM",type=string,JSONPath=`.spec.llmRef.name`
// +kubebuilder:printcolumn:name="Ready",type=boolean,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Detail",type=string,JSONPath=`.status.statusDetail`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Agent struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the desired agent.
	Spec AgentSpec `json:"spec"`
	// Status is written by the Agent hook.
	// +optional
	Status AgentStatus `json:"status,omitempty"`
}

// AgentList is a list of Agents.
// +kubebuilder:object:root=true
type AgentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Agents.
	Items []Agent `json:"items"`
}
