package hooks

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// problem is why a run cannot proceed yet: Pending (a dependency exists but
// is not ready) or Error (a reference is broken), with a detail for users.
type problem struct {
	status v1.StatusType
	reason string
	detail string
}

func pendingf(reason, format string, args ...any) *problem {
	return &problem{status: v1.StatusPending, reason: reason, detail: fmt.Sprintf(format, args...)}
}

func errorf(reason, format string, args ...any) *problem {
	return &problem{status: v1.StatusError, reason: reason, detail: fmt.Sprintf(format, args...)}
}

// readiness describes a dependency's status for a statusDetail.
func readiness(c v1.CommonStatus) string {
	st := string(c.Status)
	if st == "" {
		st = "not yet reconciled"
	}
	if c.StatusDetail != "" {
		return st + ": " + c.StatusDetail
	}
	return st
}

// resolveAgentLLM finds a ready agent and its LLM. It does not need the secret.
func resolveAgentLLM(agentName string, agents map[string]v1.Agent, llms map[string]v1.LLM) (*v1.Agent, *v1.LLM, *problem) {
	agent, ok := agents[agentName]
	if !ok {
		return nil, nil, errorf(ReasonDependencyMissing, "agent %q not found", agentName)
	}
	if !agent.Status.Ready {
		return &agent, nil, pendingf(ReasonDependencyNotReady, "waiting for agent %q (%s)", agentName, readiness(agent.Status.CommonStatus))
	}
	llm, ok := llms[agent.Spec.LLMRef.Name]
	if !ok {
		return &agent, nil, errorf(ReasonDependencyMissing, "LLM %q of agent %q not found", agent.Spec.LLMRef.Name, agentName)
	}
	if !llm.Status.Ready {
		return &agent, &llm, pendingf(ReasonDependencyNotReady, "waiting for LLM %q (%s)", llm.Name, readiness(llm.Status.CommonStatus))
	}
	return &agent, &llm, nil
}

// secretValue reads ref from the related Secrets, trimmed. found reports
// whether the Secret exists; value is empty when the key is missing or blank.
func secretValue(secrets map[string]Secret, ref v1.SecretKeySelector) (s Secret, value string, found bool) {
	s, found = secrets[ref.Name]
	if !found {
		return s, "", false
	}
	return s, strings.TrimSpace(string(s.Data[ref.Key])), true
}

// apiKey reads the LLM's key from the related secrets.
func apiKey(llm *v1.LLM, secrets map[string]Secret) (string, *problem) {
	ref := llm.Spec.APIKeyFrom.SecretKeyRef
	_, key, found := secretValue(secrets, ref)
	if !found {
		return "", pendingf(ReasonSecretMissing, "secret %q with the API key of LLM %q is not visible to this run", ref.Name, llm.Name)
	}
	if key == "" {
		return "", pendingf(ReasonSecretMissing, "secret %q has no key %q (API key of LLM %q)", ref.Name, ref.Key, llm.Name)
	}
	return key, nil
}

// offeredTool is a tool as offered to an LLM, with where it came from.
type offeredTool struct {
	// Spec is normalized: Name, Type and Description are filled.
	Spec v1.ToolSpec
	// Source names the Tool or ToolSet.
	Source string
}

// delegateArguments is the JSON Schema of a delegateToAgent call.
var delegateArguments = json.RawMessage(`{"type":"object","properties":{"message":{"type":"string","description":"What the agent should do, self-contained."},"goal":{"type":"string","description":"The larger objective this serves."},"everything_that_happened_so_far":{"type":"string","description":"Background the agent needs."}},"required":["message"]}`)

// humanContactArguments is the JSON Schema of a humanContact call.
var humanContactArguments = json.RawMessage(`{"type":"object","properties":{"message":{"type":"string","description":"The question or request for the human."}},"required":["message"]}`)

// resolveTools lists the tools an agent offers, in the order of its
// toolsetRefs (a name is a Tool first, then a ToolSet).
func resolveTools(agent *v1.Agent, tools map[string]v1.Tool, toolSets map[string]v1.ToolSet, agents map[string]v1.Agent, channels map[string]v1.ContactChannel) ([]offeredTool, *problem) {
	var out []offeredTool
	seen := map[string]string{}
	add := func(spec v1.ToolSpec, source string) *problem {
		if prev, dup := seen[spec.Name]; dup {
			return errorf(ReasonInvalidSpec, "agent %q offers two tools named %q (from %q and %q)", agent.Name, spec.Name, prev, source)
		}
		seen[spec.Name] = source
		out = append(out, offeredTool{Spec: describeTool(spec, agents, channels), Source: source})
		return nil
	}
	for i, ref := range agent.Spec.ToolsetRefs {
		if t, ok := tools[ref.Name]; ok {
			if p := add(normalizeToolSpec(t.Spec, t.Name), t.Name); p != nil {
				return nil, p
			}
			continue
		}
		if ts, ok := toolSets[ref.Name]; ok {
			for _, m := range ts.Spec.Tools {
				if p := add(normalizeToolSpec(m, m.Name), ts.Name); p != nil {
					return nil, p
				}
			}
			continue
		}
		return nil, errorf(ReasonDependencyMissing, "toolsetRefs[%d] of agent %q: no Tool or ToolSet named %q", i, agent.Name, ref.Name)
	}
	return out, nil
}

// describeTool fills the description and arguments schema of delegate and
// human-contact tools from their targets.
func describeTool(spec v1.ToolSpec, agents map[string]v1.Agent, channels map[string]v1.ContactChannel) v1.ToolSpec {
	switch spec.Type {
	case v1.ToolTypeDelegateToAgent:
		if spec.AgentRef != nil && spec.Description == "" {
			spec.Description = "Delegate a piece of work to the agent " + spec.AgentRef.Name + "."
			if a, ok := agents[spec.AgentRef.Name]; ok && a.Spec.Description != "" {
				spec.Description += " " + a.Spec.Description
			}
		}
		if spec.Arguments == nil {
			spec.Arguments = &runtime.RawExtension{Raw: delegateArguments}
		}
	case v1.ToolTypeHumanContact:
		if spec.ContactChannelRef != nil && spec.Description == "" {
			spec.Description = "Ask a human for input or approval via " + spec.ContactChannelRef.Name + "."
			if c, ok := channels[spec.ContactChannelRef.Name]; ok && c.Spec.Slack != nil && c.Spec.Slack.ContextAboutChannelOrUser != "" {
				spec.Description += " " + c.Spec.Slack.ContextAboutChannelOrUser
			}
		}
		if spec.Arguments == nil {
			spec.Arguments = &runtime.RawExtension{Raw: humanContactArguments}
		}
	}
	return spec
}
