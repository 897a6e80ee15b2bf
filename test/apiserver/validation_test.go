package apiserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// TestValidation creates objects through the API server with strict field
// validation: the valid ones are accepted, each invalid one is rejected with a
// message that names the offending field.
func TestValidation(t *testing.T) {
	t.Parallel()
	c := apiServer(t)
	const ns = "validation"
	createNamespace(t, c, ns)

	tests := []struct {
		name     string
		manifest string
		wantCode int
		// wantField and wantMessage must both be in the error message; an
		// Invalid (422) answer must also name wantField as a cause.
		wantField   string
		wantMessage string
	}{
		{
			name: "valid LLM",
			manifest: `
kind: LLM
spec:
  provider: openai
  apiKeyFrom: {secretKeyRef: {name: openai, key: OPENAI_API_KEY}}
  config: {model: gpt-4o, temperature: 0.2}`,
			wantCode: http.StatusCreated,
		},
		{
			name: "LLM without apiKeyFrom",
			manifest: `
kind: LLM
spec:
  provider: openai
  config: {model: gpt-4o}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.apiKeyFrom", wantMessage: "Required value",
		},
		{
			name: "LLM with an unknown provider",
			manifest: `
kind: LLM
spec:
  provider: anthropic
  apiKeyFrom: {secretKeyRef: {name: openai, key: OPENAI_API_KEY}}
  config: {model: claude}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.provider", wantMessage: `Unsupported value: "anthropic"`,
		},
		{
			name: "LLM with temperature above 2",
			manifest: `
kind: LLM
spec:
  provider: openai
  apiKeyFrom: {secretKeyRef: {name: openai, key: OPENAI_API_KEY}}
  config: {model: gpt-4o, temperature: 3}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.config.temperature", wantMessage: "less than or equal to 2",
		},
		{
			name: "LLM with a baseURL that is not http(s)",
			manifest: `
kind: LLM
spec:
  provider: openai
  apiKeyFrom: {secretKeyRef: {name: openai, key: OPENAI_API_KEY}}
  config: {model: gpt-4o, baseURL: "ftp://models"}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.config.baseURL", wantMessage: "should match",
		},
		{
			name: "Agent without llmRef",
			manifest: `
kind: Agent
spec:
  systemPrompt: You add numbers.`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.llmRef", wantMessage: "Required value",
		},
		{
			name: "valid Task",
			manifest: `
kind: Task
spec:
  agentRef: {name: calculator}
  input: {message: "What is 2 + 3?"}`,
			wantCode: http.StatusCreated,
		},
		{
			name: "Task with a number as input.message",
			manifest: `
kind: Task
spec:
  agentRef: {name: calculator}
  input: {message: 42}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.input.message", wantMessage: "must be of type string",
		},
		{
			name: "Task without input.message",
			manifest: `
kind: Task
spec:
  agentRef: {name: calculator}
  input: {goal: add}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.input.message", wantMessage: "Required value",
		},
		{
			name: "Task with a misspelt field",
			manifest: `
kind: Task
spec:
  agentRef: {name: calculator}
  input: {message: hi}
  launchImmediatly: true`,
			wantCode: http.StatusBadRequest, wantField: "spec.launchImmediatly", wantMessage: "unknown field",
		},
		{
			name: "Tool with a name the LLM API refuses",
			manifest: `
kind: Tool
spec:
  name: "add numbers"
  execute: {builtin: {name: add}}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.name", wantMessage: "should match",
		},
		{
			name: "Tool of an unknown type",
			manifest: `
kind: Tool
spec:
  type: shell`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.type", wantMessage: `Unsupported value: "shell"`,
		},
		{
			name: "valid ToolSet",
			manifest: `
kind: ToolSet
spec:
  tools:
  - {name: add, execute: {builtin: {name: add}}}
  - {name: subtract, execute: {builtin: {name: subtract}}}`,
			wantCode: http.StatusCreated,
		},
		{
			name: "ToolSet with two members of the same name",
			manifest: `
kind: ToolSet
spec:
  tools:
  - {name: add, execute: {builtin: {name: add}}}
  - {name: add, execute: {builtin: {name: subtract}}}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.tools", wantMessage: "unique within the set",
		},
		{
			name: "ToolSet with a member without a name",
			manifest: `
kind: ToolSet
spec:
  tools:
  - {execute: {builtin: {name: add}}}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.tools", wantMessage: "needs a name",
		},
		{
			name: "valid ContactChannel",
			manifest: `
kind: ContactChannel
spec:
  slack:
    channel_or_user_id: U0711111111
    slackBotTokenFrom: {secretKeyRef: {name: slack, key: token}}`,
			wantCode: http.StatusCreated,
		},
		{
			name: "ContactChannel without slack",
			manifest: `
kind: ContactChannel
spec: {}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec", wantMessage: "spec.slack is required",
		},
		{
			name: "TaskRunToolCall in round 0",
			manifest: `
kind: TaskRunToolCall
spec:
  taskRunRef: {name: run}
  toolRef: {name: add}
  toolCallId: call-1
  round: 0
  index: 0
  tool: {name: add}`,
			wantCode: http.StatusUnprocessableEntity, wantField: "spec.round", wantMessage: "greater than or equal to 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var obj object
			require.NoError(t, yaml.Unmarshal([]byte(tt.manifest), &obj))
			kind, _ := obj["kind"].(string)
			require.NotEmpty(t, kind)
			obj["apiVersion"] = "kubechain.humanlayer.dev/v1alpha1"
			obj["metadata"] = object{"name": dnsName(tt.name)}

			code, resp := do(t, c, http.MethodPost, resourcePath(kind, ns, "")+"?fieldValidation=Strict", obj)

			msg, _ := resp["message"].(string)
			assert.Equal(t, tt.wantCode, code, msg)
			if tt.wantCode == http.StatusCreated {
				return
			}
			assert.Contains(t, msg, tt.wantField)
			assert.Contains(t, msg, tt.wantMessage)
			if tt.wantCode == http.StatusUnprocessableEntity {
				var status struct {
					Details struct {
						Causes []struct {
							Field string `json:"field"`
						} `json:"causes"`
					} `json:"details"`
				}
				require.NoError(t, remarshal(resp, &status))
				var fields []string
				for _, cause := range status.Details.Causes {
					fields = append(fields, cause.Field)
				}
				assert.Contains(t, fields, tt.wantField, "the fields named by the Invalid status's causes")
			}
		})
	}
}
