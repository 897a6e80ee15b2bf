package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ToolSetSpec groups tools under one name. Today the tools are listed inline; other sources
// (an MCP server) are planned as further optional fields.
type ToolSetSpec struct {
	// Tools are the members of the set; function tools need a name, and names are unique within the set.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(t, has(t.name) || t.type != 'function')",message="every function tool needs a name"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.name) || self.exists_one(u, has(u.name) && u.name == t.name))",message="tool names must be unique within the set"
	Tools []ToolSpec `json:"tools"`
}

// ToolSetStatus is the observed state of a ToolSet.
type ToolSetStatus struct {
	CommonStatus `json:",inline"`
}

// ToolSet is a named group of tools.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kubechain,shortName=ts
// +kubebuilder:printcolumn:name="First Tool",type=string,JSONPath=`.spec.tools[0].name`
// +kubebuilder:printcolumn:name="Ready",type=boolean,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Detail",type=string,JSONPath=`.status.statusDetail`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ToolSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec lists the tools.
	Spec ToolSetSpec `json:"spec"`
	// Status is written by the ToolSet hook.
	// +optional
	Status ToolSetStatus `json:"status,omitempty"`
}

// ToolSetList is a list of ToolSets.
// +kubebuilder:object:root=true
type ToolSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ToolSets.
	Items []ToolSet `json:"items"`
}
