// Package v1alpha1 holds the kubechain API: the Go types of the eight kinds in
// the kubechain.humanlayer.dev/v1alpha1 group (LLM, Agent, Tool, ToolSet,
// ContactChannel, Task, TaskRun and TaskRunToolCall).
//
// The CRDs in crds/ are generated from these types by controller-gen
// (`make generate`); the kubebuilder markers on each type and field are the
// source of truth for validation, printer columns, short names and
// categories. The hooks in hooks/ decode Metacontroller's requests into these
// types and emit desired children built from them.
//
// +kubebuilder:object:generate=false
// +groupName=kubechain.humanlayer.dev
package v1alpha1

import "k8s.io/apimachinery/pkg/runtime/schema"

// Group is the API group of every kubechain kind.
const Group = "kubechain.humanlayer.dev"

// Version is the API version of every kubechain kind.
const Version = "v1alpha1"

// GroupVersion is Group/Version as apiVersion is written in manifests.
var GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

// APIVersion is the apiVersion string of every kubechain object.
const APIVersion = Group + "/" + Version
