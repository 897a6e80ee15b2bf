package hooks

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SyncRequest is the body of a Metacontroller sync (or finalize) call for a
// CompositeController. P is the parent type; C and R are structs whose fields
// are maps keyed by object name, tagged with Metacontroller's group keys
// (`Kind.group/version`, or `Kind.version` for the core group).
type SyncRequest[P, C, R any] struct {
	// Controller is the CompositeController; hooks do not read it.
	Controller json.RawMessage `json:"controller"`
	// Parent is the parent object, from Metacontroller's cache (its status may be stale).
	Parent P `json:"parent"`
	// Children are the observed children, grouped by type.
	Children C `json:"children"`
	// Related are the objects the customize hook asked for, grouped by type.
	Related R `json:"related"`
	// Finalizing is true when the parent is being deleted and this is a finalize call.
	Finalizing bool `json:"finalizing"`
}

// SyncResponse is what a sync hook returns. S is the parent's status type.
type SyncResponse[S any] struct {
	// Status replaces the parent's whole status.
	Status S `json:"status"`
	// Children are the desired children; any observed child not listed is deleted.
	Children []any `json:"children"`
	// ResyncAfterSeconds asks for one more sync after this delay when positive.
	ResyncAfterSeconds float64 `json:"resyncAfterSeconds,omitempty"`
	// Finalized tells Metacontroller a finalize hook is done.
	Finalized bool `json:"finalized,omitempty"`
}

// CustomizeRequest is the body of a Metacontroller customize call.
type CustomizeRequest[P any] struct {
	// Controller is the CompositeController; hooks do not read it.
	Controller json.RawMessage `json:"controller"`
	// Parent is the parent object.
	Parent P `json:"parent"`
}

// CustomizeResponse names the related objects a parent's sync needs.
type CustomizeResponse struct {
	// RelatedResources are the rules; Metacontroller sends what they match as `related`.
	RelatedResources []RelatedResourceRule `json:"relatedResources"`
}

// RelatedResourceRule selects related objects of one resource, by names or by labels.
type RelatedResourceRule struct {
	// APIVersion of the resource, e.g. v1 or kubechain.humanlayer.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Resource is the plural resource name, e.g. secrets.
	Resource string `json:"resource"`
	// Names selects objects by name (exclusive with LabelSelector).
	Names []string `json:"names,omitempty"`
	// LabelSelector selects objects by labels; an empty selector selects all in the namespace.
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`
	// Namespace restricts the rule (only meaningful for cluster-scoped parents).
	Namespace string `json:"namespace,omitempty"`
}

// ChildMeta is the metadata of a desired child: only what a hook sets, so that
// the emitted object is minimal and equals the stored one after defaulting.
type ChildMeta struct {
	// Name is deterministic, derived from the parent.
	Name string `json:"name"`
	// Labels for kubectl selection.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations carry data for the child's customize hook.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Secret is the part of a core/v1 Secret hooks read. Unknown fields are kept
// out of strict decoding by listing every Secret field the API server returns.
type Secret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Data holds the secret's values (base64 on the wire, decoded by encoding/json).
	Data map[string][]byte `json:"data,omitempty"`
	// StringData is write-only on the API server, listed for strict decoding.
	StringData map[string]string `json:"stringData,omitempty"`
	// Type of the secret.
	Type string `json:"type,omitempty"`
	// Immutable marks the secret immutable.
	Immutable *bool `json:"immutable,omitempty"`
}

// Group keys under which Metacontroller sends children and related objects.
const (
	KeySecret          = "Secret.v1"
	KeyLLM             = "LLM.kubechain.humanlayer.dev/v1alpha1"
	KeyAgent           = "Agent.kubechain.humanlayer.dev/v1alpha1"
	KeyTool            = "Tool.kubechain.humanlayer.dev/v1alpha1"
	KeyToolSet         = "ToolSet.kubechain.humanlayer.dev/v1alpha1"
	KeyContactChannel  = "ContactChannel.kubechain.humanlayer.dev/v1alpha1"
	KeyTask            = "Task.kubechain.humanlayer.dev/v1alpha1"
	KeyTaskRun         = "TaskRun.kubechain.humanlayer.dev/v1alpha1"
	KeyTaskRunToolCall = "TaskRunToolCall.kubechain.humanlayer.dev/v1alpha1"
)

// NoObjects is the children or related group of a hook that declares none;
// Metacontroller sends `{}`.
type NoObjects struct{}
