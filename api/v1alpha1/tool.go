package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ToolType says how a tool call is carried out.
// +kubebuilder:validation:Enum=function;delegateToAgent;humanContact
type ToolType string

// The values of ToolType.
const (
	// ToolTypeFunction runs code: a builtin named in execute.builtin.
	ToolTypeFunction ToolType = "function"
	// ToolTypeDelegateToAgent hands the call's message to another Agent as a sub-task.
	ToolTypeDelegateToAgent ToolType = "delegateToAgent"
	// ToolTypeHumanContact asks a human through a ContactChannel.
	ToolTypeHumanContact ToolType = "humanContact"
)

// ToolSpec describes one tool offered to an LLM. The same shape is used inline in ToolSets.
type ToolSpec struct {
	// Name is the function name shown to the LLM (letters, digits, _ and -). Defaults to the
	// object's name for a Tool; required inside a ToolSet. For delegateToAgent and humanContact
	// tools a name is derived from the target when empty.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]{1,64}$`
	// +kubebuilder:validation:MaxLength=64
	Name string `json:"name,omitempty"`
	// Description tells the LLM when and how to use the tool.
	// +optional
	Description string `json:"description,omitempty"`
	// Arguments is the JSON Schema (an object schema) of the call's arguments.
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Arguments *runtime.RawExtension `json:"arguments,omitempty"`
	// Type says how a call is carried out.
	// +optional
	// +kubebuilder:default=function
	Type ToolType `json:"type,omitempty"`
	// Execute says what code a function tool runs.
	// +optional
	Execute *ToolExecute `json:"execute,omitempty"`
	// AgentRef is the agent a delegateToAgent tool hands work to.
	// +optional
	AgentRef *LocalObjectReference `json:"agentRef,omitempty"`
	// ContactChannelRef is the channel a humanContact tool asks through.
	// +optional
	ContactChannelRef *LocalObjectReference `json:"contactChannelRef,omitempty"`
}

// ToolExecute says what code a function tool runs.
type ToolExecute struct {
	// Builtin names a function compiled into the hook server.
	// +optional
	Builtin *BuiltinRef `json:"builtin,omitempty"`
}

// BuiltinRef names a builtin function.
type BuiltinRef struct {
	// Name of the builtin: add, subtract, multiply or divide.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// ToolStatus is the observed state of a Tool.
type ToolStatus struct {
	CommonStatus `json:",inline"`
}

// Tool is one function an agent may call.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kubechain
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Ready",type=boolean,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Detail",type=string,JSONPath=`.status.statusDetail`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Tool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the tool's definition.
	Spec ToolSpec `json:"spec"`
	// Status is written by the Tool hook.
	// +optional
	Status ToolStatus `json:"status,omitempty"`
}

// ToolList is a list of Tools.
// +kubebuilder:object:root=true
type ToolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Tools.
	Items []Tool `json:"items"`
}
