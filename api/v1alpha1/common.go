package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StatusType is the coarse health of a resource, shown in the STATUS column.
// +kubebuilder:validation:Enum=Ready;Error;Pending
type StatusType string

// The values of StatusType.
const (
	// StatusReady: the resource is usable (or, for a run, finished successfully).
	StatusReady StatusType = "Ready"
	// StatusError: the resource cannot become usable until a user fixes something; statusDetail says what.
	StatusError StatusType = "Error"
	// StatusPending: a dependency exists but is not ready yet, or work is in progress.
	StatusPending StatusType = "Pending"
)

// ConditionReady is the one condition type every kubechain kind reports.
const ConditionReady = "Ready"

// CommonStatus is the status block every kubechain kind carries.
type CommonStatus struct {
	// Ready is true when the resource is usable.
	// +optional
	Ready bool `json:"ready,omitempty"`
	// Status is Ready, Error or Pending.
	// +optional
	Status StatusType `json:"status,omitempty"`
	// StatusDetail is a human-readable explanation of Status, written so that a user can act on it.
	// +optional
	StatusDetail string `json:"statusDetail,omitempty"`
	// ObservedGeneration is the metadata.generation the status was computed from; written by Metacontroller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions mirrors Ready/Status/StatusDetail as a standard Ready condition for tools that read conditions.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// LocalObjectReference names an object of a known kind in the same namespace.
type LocalObjectReference struct {
	// Name of the referenced object.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// SecretKeySelector selects one key of a Secret in the same namespace.
type SecretKeySelector struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Key within the Secret's data.
	// +kubebuilder:validation:MinLength=1
	Key string `json:"key"`
}

// SecretKeySource points at a secret value.
type SecretKeySource struct {
	// SecretKeyRef selects the Secret and key holding the value.
	SecretKeyRef SecretKeySelector `json:"secretKeyRef"`
}

// Phase is a step of a TaskRun's or TaskRunToolCall's life.
type Phase string

// PhaseTransition records when a run entered a phase.
type PhaseTransition struct {
	// Phase that was entered.
	Phase Phase `json:"phase"`
	// TransitionTime is when the phase was entered.
	TransitionTime metav1.MicroTime `json:"transitionTime"`
}
