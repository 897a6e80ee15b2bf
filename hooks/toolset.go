package hooks

import (
	"context"
	"fmt"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// ToolSetSyncRequest is the body of /sync/toolset. A ToolSet has no
// customize hook: its members are checked for shape only, so it has no related objects.
type ToolSetSyncRequest = SyncRequest[v1.ToolSet, NoObjects, NoObjects]

// ToolSetSyncResponse is the answer of /sync/toolset.
type ToolSetSyncResponse = SyncResponse[v1.ToolSetStatus]

// SyncToolSet validates every member of the set: a valid spec and a name
// unique within the set.
func (h *Hooks) SyncToolSet(_ context.Context, req *ToolSetSyncRequest) (*ToolSetSyncResponse, error) {
	ts := &req.Parent
	detail, p := checkToolSet(ts.Spec)
	return &ToolSetSyncResponse{
		Status:   v1.ToolSetStatus{CommonStatus: statusFor(ts.Status.CommonStatus, p, detail, ts.Generation, h.deps.Now())},
		Children: []any{},
	}, nil
}

// checkToolSet returns the Ready detail of a ToolSet's spec, or its first problem.
func checkToolSet(spec v1.ToolSetSpec) (string, *problem) {
	if len(spec.Tools) == 0 {
		return "", errorf(ReasonInvalidSpec, "spec.tools is empty: list at least one tool")
	}
	names := make([]string, 0, len(spec.Tools))
	index := map[string]int{}
	for i, member := range spec.Tools {
		m := normalizeToolSpec(member, "")
		where := fmt.Sprintf("tools[%d]", i)
		if m.Name != "" {
			where += fmt.Sprintf(" (%s)", m.Name)
		}
		if err := validateToolSpec(m); err != nil {
			return "", errorf(ReasonInvalidSpec, "%s: %v", where, err)
		}
		if j, dup := index[m.Name]; dup {
			return "", errorf(ReasonInvalidSpec, "%s: name %q is already used by tools[%d]", where, m.Name, j)
		}
		index[m.Name] = i
		names = append(names, m.Name)
	}
	return toolList(names), nil
}
