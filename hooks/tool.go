package hooks

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// ToolRelated are the related objects of a Tool's sync: the target of a
// delegateToAgent or humanContact tool (only the group its type needs is sent).
type ToolRelated struct {
	// Agents holds the agent a delegateToAgent tool hands work to, when it exists.
	Agents map[string]v1.Agent `json:"Agent.kubechain.humanlayer.dev/v1alpha1"`
	// ContactChannels holds the channel a humanContact tool asks through, when it exists.
	ContactChannels map[string]v1.ContactChannel `json:"ContactChannel.kubechain.humanlayer.dev/v1alpha1"`
}

// ToolCustomizeRequest is the body of /customize/tool.
type ToolCustomizeRequest = CustomizeRequest[v1.Tool]

// ToolSyncRequest is the body of /sync/tool.
type ToolSyncRequest = SyncRequest[v1.Tool, NoObjects, ToolRelated]

// ToolSyncResponse is the answer of /sync/tool.
type ToolSyncResponse = SyncResponse[v1.ToolStatus]

// CustomizeTool asks for the agent or contact channel the tool refers to.
func (h *Hooks) CustomizeTool(_ context.Context, req *ToolCustomizeRequest) (*CustomizeResponse, error) {
	spec := normalizeToolSpec(req.Parent.Spec, req.Parent.Name)
	rules := []RelatedResourceRule{}
	switch {
	case spec.Type == v1.ToolTypeDelegateToAgent && spec.AgentRef != nil && spec.AgentRef.Name != "":
		rules = append(rules, RelatedResourceRule{APIVersion: v1.APIVersion, Resource: "agents", Names: []string{spec.AgentRef.Name}})
	case spec.Type == v1.ToolTypeHumanContact && spec.ContactChannelRef != nil && spec.ContactChannelRef.Name != "":
		rules = append(rules, RelatedResourceRule{APIVersion: v1.APIVersion, Resource: "contactchannels", Names: []string{spec.ContactChannelRef.Name}})
	}
	return &CustomizeResponse{RelatedResources: rules}, nil
}

// SyncTool validates the tool's spec and its reference. A delegateToAgent
// tool is Ready as soon as its agent exists, whatever the agent's status:
// agents may delegate to each other, and readiness must not deadlock on
// such a cycle. A humanContact tool waits for its channel to be Ready.
func (h *Hooks) SyncTool(_ context.Context, req *ToolSyncRequest) (*ToolSyncResponse, error) {
	tool := &req.Parent
	detail, p := checkTool(normalizeToolSpec(tool.Spec, tool.Name), req.Related)
	return &ToolSyncResponse{
		Status:   v1.ToolStatus{CommonStatus: statusFor(tool.Status.CommonStatus, p, detail, tool.Generation, h.deps.Now())},
		Children: []any{},
	}, nil
}

// checkTool returns the Ready detail of a normalized tool spec, or its problem.
func checkTool(spec v1.ToolSpec, related ToolRelated) (string, *problem) {
	if err := validateToolSpec(spec); err != nil {
		return "", errorf(ReasonInvalidSpec, "%v", err)
	}
	switch spec.Type {
	case v1.ToolTypeDelegateToAgent:
		name := spec.AgentRef.Name
		if _, ok := related.Agents[name]; !ok {
			return "", errorf(ReasonDependencyMissing, "agentRef: no Agent named %q", name)
		}
		return fmt.Sprintf("function %s delegates to agent %q", spec.Name, name), nil
	case v1.ToolTypeHumanContact:
		name := spec.ContactChannelRef.Name
		cc, ok := related.ContactChannels[name]
		if !ok {
			return "", errorf(ReasonDependencyMissing, "contactChannelRef: no ContactChannel named %q", name)
		}
		if !cc.Status.Ready {
			return "", pendingf(ReasonDependencyNotReady, "waiting for ContactChannel %q (%s)", name, readiness(cc.Status.CommonStatus))
		}
		return fmt.Sprintf("function %s asks a human through ContactChannel %q", spec.Name, name), nil
	default:
		return fmt.Sprintf("function %s runs builtin %s", spec.Name, spec.Execute.Builtin.Name), nil
	}
}

// statusFor is the status block for problem p, or Ready with readyDetail when p is nil.
func statusFor(prev v1.CommonStatus, p *problem, readyDetail string, generation int64, now time.Time) v1.CommonStatus {
	if p == nil {
		return commonStatus(prev, v1.StatusReady, ReasonReady, readyDetail, generation, now)
	}
	return commonStatus(prev, p.status, p.reason, p.detail, generation, now)
}
