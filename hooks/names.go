package hooks

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// Labels and annotations kubechain puts on the children it creates.
const (
	LabelTask    = v1.Group + "/task"
	LabelTaskRun = v1.Group + "/taskrun"
	LabelAgent   = v1.Group + "/agent"
	// AnnotationLLMSecret names the Secret holding the API key of a TaskRun's LLM. The creator of a
	// TaskRun (a Task or a delegating tool call) resolves it, because a customize hook sees only the
	// TaskRun and must name the Secret for the TaskRun's sync to receive it.
	AnnotationLLMSecret = v1.Group + "/llm-secret"
)

// maxNameLength is the limit of a custom resource name (a DNS subdomain).
const maxNameLength = 253

// childName derives a deterministic child name from its parent's name and a
// suffix. Names that would exceed the limit keep a prefix of the parent's
// name and a hash of the whole, so they stay unique and stable.
func childName(parent, suffix string) string {
	if len(parent)+len(suffix) <= maxNameLength {
		return parent + suffix
	}
	sum := sha256.Sum256([]byte(parent))
	h := "-" + hex.EncodeToString(sum[:])[:10]
	return parent[:maxNameLength-len(suffix)-len(h)] + h + suffix
}

// taskRunName is the name of a Task's TaskRun.
func taskRunName(task string) string { return childName(task, "-run") }

// toolCallName is the name of the TaskRunToolCall for call index of LLM round round.
func toolCallName(taskRun string, round, index int) string {
	return childName(taskRun, "-r"+strconv.Itoa(round)+"-"+strconv.Itoa(index))
}

// subTaskRunName is the name of the TaskRun a delegating tool call creates.
func subTaskRunName(toolCall string) string { return childName(toolCall, "-sub") }

// labelValue returns v if it is a valid label value, else "" (labels are a
// convenience for kubectl -l; names longer than 63 characters are left out).
func labelValue(v string) string {
	if len(v) > 63 {
		return ""
	}
	return v
}

// setLabel sets k=v in m when v is a valid label value.
func setLabel(m map[string]string, k, v string) {
	if lv := labelValue(v); lv != "" {
		m[k] = lv
	}
}
