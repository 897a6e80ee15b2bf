package hooks

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// AgentRelated are the related objects of an Agent's sync.
type AgentRelated struct {
	// LLMs holds the agent's LLM, when it exists.
	LLMs map[string]v1.LLM `json:"LLM.kubechain.humanlayer.dev/v1alpha1"`
	// Tools holds the Tools named in toolsetRefs that exist.
	Tools map[string]v1.Tool `json:"Tool.kubechain.humanlayer.dev/v1alpha1"`
	// ToolSets holds the ToolSets named in toolsetRefs that exist.
	ToolSets map[string]v1.ToolSet `json:"ToolSet.kubechain.humanlayer.dev/v1alpha1"`
}

// AgentCustomizeRequest is the body of /customize/agent.
type AgentCustomizeRequest = CustomizeRequest[v1.Agent]

// AgentSyncRequest is the body of /sync/agent.
type AgentSyncRequest = SyncRequest[v1.Agent, NoObjects, AgentRelated]

// AgentSyncResponse is the answer of /sync/agent.
type AgentSyncResponse = SyncResponse[v1.AgentStatus]

// CustomizeAgent asks for the agent's LLM and, for every name in
// toolsetRefs, both the Tool and the ToolSet of that name (a name is a Tool
// first, then a ToolSet).
func (h *Hooks) CustomizeAgent(_ context.Context, req *AgentCustomizeRequest) (*CustomizeResponse, error) {
	spec := req.Parent.Spec
	rules := []RelatedResourceRule{}
	if spec.LLMRef.Name != "" {
		rules = append(rules, RelatedResourceRule{APIVersion: v1.APIVersion, Resource: "llms", Names: []string{spec.LLMRef.Name}})
	}
	var names []string
	seen := map[string]bool{}
	for _, ref := range spec.ToolsetRefs {
		if ref.Name != "" && !seen[ref.Name] {
			seen[ref.Name] = true
			names = append(names, ref.Name)
		}
	}
	if len(names) > 0 {
		rules = append(rules,
			RelatedResourceRule{APIVersion: v1.APIVersion, Resource: "tools", Names: names},
			RelatedResourceRule{APIVersion: v1.APIVersion, Resource: "toolsets", Names: names},
		)
	}
	return &CustomizeResponse{RelatedResources: rules}, nil
}

// SyncAgent checks the agent's references: Error when the LLM or a tool is
// missing or two tools share a function name, Pending while any of them is
// not Ready, Ready otherwise.
func (h *Hooks) SyncAgent(_ context.Context, req *AgentSyncRequest) (*AgentSyncResponse, error) {
	agent := &req.Parent
	detail, p := checkAgent(agent, req.Related)
	return &AgentSyncResponse{
		Status:   v1.AgentStatus{CommonStatus: statusFor(agent.Status.CommonStatus, p, detail, agent.Generation, h.deps.Now())},
		Children: []any{},
	}, nil
}

// checkAgent returns the Ready detail of an agent, or its problem.
func checkAgent(agent *v1.Agent, related AgentRelated) (string, *problem) {
	llm, ok := related.LLMs[agent.Spec.LLMRef.Name]
	if !ok {
		return "", errorf(ReasonDependencyMissing, "llmRef: no LLM named %q", agent.Spec.LLMRef.Name)
	}
	offered, p := resolveTools(agent, related.Tools, related.ToolSets, nil, nil)
	if p != nil {
		return "", p
	}

	var waiting []string
	if !llm.Status.Ready {
		waiting = append(waiting, fmt.Sprintf("LLM %q (%s)", llm.Name, readiness(llm.Status.CommonStatus)))
	}
	for _, ref := range agent.Spec.ToolsetRefs {
		if tool, ok := related.Tools[ref.Name]; ok {
			if !tool.Status.Ready {
				waiting = append(waiting, fmt.Sprintf("Tool %q (%s)", tool.Name, readiness(tool.Status.CommonStatus)))
			}
			continue
		}
		if ts := related.ToolSets[ref.Name]; !ts.Status.Ready {
			waiting = append(waiting, fmt.Sprintf("ToolSet %q (%s)", ts.Name, readiness(ts.Status.CommonStatus)))
		}
	}
	if len(waiting) > 0 {
		return "", pendingf(ReasonDependencyNotReady, "waiting for %s", strings.Join(waiting, ", "))
	}

	names := make([]string, len(offered))
	for i, t := range offered {
		names[i] = t.Spec.Name
	}
	return fmt.Sprintf("LLM %q ready; %s", llm.Name, toolList(names)), nil
}

// toolList says how many tools there are and names them.
func toolList(names []string) string {
	switch len(names) {
	case 0:
		return "no tools"
	case 1:
		return "1 tool: " + names[0]
	default:
		return fmt.Sprintf("%d tools: %s", len(names), strings.Join(names, ", "))
	}
}
