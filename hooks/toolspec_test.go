package hooks

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

func TestNormalizeToolSpec(t *testing.T) {
	long := strings.Repeat("a", 70)
	tests := []struct {
		name        string
		spec        v1.ToolSpec
		defaultName string
		want        v1.ToolSpec
	}{
		{
			name:        "function defaults to the object name",
			spec:        v1.ToolSpec{},
			defaultName: "add",
			want:        v1.ToolSpec{Name: "add", Type: v1.ToolTypeFunction},
		},
		{
			name:        "explicit name wins",
			spec:        v1.ToolSpec{Name: "plus", Type: v1.ToolTypeFunction},
			defaultName: "add",
			want:        v1.ToolSpec{Name: "plus", Type: v1.ToolTypeFunction},
		},
		{
			name: "delegate name derived from a sanitized agent name",
			spec: v1.ToolSpec{Type: v1.ToolTypeDelegateToAgent, AgentRef: &v1.LocalObjectReference{Name: "web.researcher"}},
			want: v1.ToolSpec{Name: "delegate_to_web_researcher", Type: v1.ToolTypeDelegateToAgent, AgentRef: &v1.LocalObjectReference{Name: "web.researcher"}},
		},
		{
			name: "human contact name derived and truncated to 64",
			spec: v1.ToolSpec{Type: v1.ToolTypeHumanContact, ContactChannelRef: &v1.LocalObjectReference{Name: long}},
			want: v1.ToolSpec{Name: ("contact_human_via_" + long)[:64], Type: v1.ToolTypeHumanContact, ContactChannelRef: &v1.LocalObjectReference{Name: long}},
		},
		{
			name:        "the derived name wins over a Tool object's name",
			spec:        v1.ToolSpec{Type: v1.ToolTypeDelegateToAgent, AgentRef: &v1.LocalObjectReference{Name: "researcher"}},
			defaultName: "ask-researcher",
			want:        v1.ToolSpec{Name: "delegate_to_researcher", Type: v1.ToolTypeDelegateToAgent, AgentRef: &v1.LocalObjectReference{Name: "researcher"}},
		},
		{
			name: "function in a set without a name stays unnamed",
			spec: v1.ToolSpec{Execute: &v1.ToolExecute{Builtin: &v1.BuiltinRef{Name: "add"}}},
			want: v1.ToolSpec{Type: v1.ToolTypeFunction, Execute: &v1.ToolExecute{Builtin: &v1.BuiltinRef{Name: "add"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, normalizeToolSpec(tt.spec, tt.defaultName))
		})
	}
}

func TestValidateToolSpec(t *testing.T) {
	builtinAdd := &v1.ToolExecute{Builtin: &v1.BuiltinRef{Name: "add"}}
	agent := &v1.LocalObjectReference{Name: "researcher"}
	channel := &v1.LocalObjectReference{Name: "oncall"}
	tests := []struct {
		name    string
		spec    v1.ToolSpec
		wantErr string
	}{
		{name: "function", spec: v1.ToolSpec{Name: "add", Type: v1.ToolTypeFunction, Execute: builtinAdd}},
		{name: "delegate", spec: v1.ToolSpec{Name: "d", Type: v1.ToolTypeDelegateToAgent, AgentRef: agent}},
		{name: "human contact", spec: v1.ToolSpec{Name: "h", Type: v1.ToolTypeHumanContact, ContactChannelRef: channel}},
		{name: "no name", spec: v1.ToolSpec{Type: v1.ToolTypeFunction, Execute: builtinAdd}, wantErr: "name is required"},
		{name: "function with agentRef", spec: v1.ToolSpec{Name: "add", Type: v1.ToolTypeFunction, Execute: builtinAdd, AgentRef: agent},
			wantErr: "a function tool takes execute.builtin, not agentRef or contactChannelRef"},
		{name: "human contact without channel", spec: v1.ToolSpec{Name: "h", Type: v1.ToolTypeHumanContact},
			wantErr: "a humanContact tool needs contactChannelRef.name"},
		{name: "human contact with agentRef", spec: v1.ToolSpec{Name: "h", Type: v1.ToolTypeHumanContact, ContactChannelRef: channel, AgentRef: agent},
			wantErr: "a humanContact tool takes contactChannelRef only, not execute or agentRef"},
		{name: "unknown type", spec: v1.ToolSpec{Name: "x", Type: "mcp"},
			wantErr: `unknown type "mcp": use function, delegateToAgent or humanContact`},
		{name: "bad arguments on a delegate", spec: v1.ToolSpec{Name: "d", Type: v1.ToolTypeDelegateToAgent, AgentRef: agent,
			Arguments: &runtime.RawExtension{Raw: []byte(`{"type":"string"}`)}},
			wantErr: `arguments must be a schema of type "object" (the function's named parameters), got type string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateToolSpec(tt.spec)

			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestCompileArgumentsSchema(t *testing.T) {
	t.Run("nil means any object", func(t *testing.T) {
		for _, raw := range []*runtime.RawExtension{nil, {}} {
			sch, err := compileArgumentsSchema(raw)
			require.NoError(t, err)
			assert.Nil(t, sch)
		}
	})

	t.Run("compiles a schema that validates calls", func(t *testing.T) {
		sch, err := compileArgumentsSchema(&runtime.RawExtension{Raw: []byte(
			`{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}`)})
		require.NoError(t, err)
		require.NotNil(t, sch)

		assert.NoError(t, sch.Validate(map[string]any{"a": 1.0, "b": 2.0}))
		assert.Error(t, sch.Validate(map[string]any{"a": 1.0}))
		assert.Error(t, sch.Validate(map[string]any{"a": "1", "b": 2.0}))
	})

	tests := []struct {
		name    string
		raw     string
		wantErr string
	}{
		{name: "not JSON", raw: `{"type":`, wantErr: "arguments is not valid JSON: unexpected EOF"},
		{name: "not an object", raw: `[]`, wantErr: "arguments must be a JSON Schema object"},
		{name: "no type", raw: `{"properties":{}}`, wantErr: `arguments must be a schema of type "object" (the function's named parameters), got type (none)`},
		{name: "invalid keyword value", raw: `{"type":"object","properties":{"a":{"minimum":"x"}}}`,
			wantErr: "arguments is not a valid JSON Schema: at '/properties/a/minimum': got string, want number"},
		{name: "external reference refused", raw: `{"type":"object","properties":{"a":{"$ref":"file:///etc/passwd"}}}`,
			wantErr: `arguments is not a valid JSON Schema: failing loading "file:///etc/passwd": external reference "file:///etc/passwd" is not allowed: arguments must be self-contained`},
		{name: "dangling local reference", raw: `{"type":"object","properties":{"a":{"$ref":"#/$defs/missing"}}}`,
			wantErr: `arguments is not a valid JSON Schema: json-pointer in "arguments#/$defs/missing" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sch, err := compileArgumentsSchema(&runtime.RawExtension{Raw: []byte(tt.raw)})

			assert.Nil(t, sch)
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}
