package hooks

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
	"github.com/humanlayer/kubechain/internal/builtin"
)

// maxToolNameLen is the longest function name the OpenAI API accepts.
const maxToolNameLen = 64

var (
	toolNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	toolNameInvalid = regexp.MustCompile(`[^a-zA-Z0-9_-]`)
)

// normalizeToolSpec fills defaults: Type function when empty; when Name is empty, a
// delegateToAgent tool is named "delegate_to_" + its agent and a humanContact tool
// "contact_human_via_" + its channel (sanitized: chars outside [a-zA-Z0-9_-] become _,
// truncated to 64), which tells the LLM more than an object name would; any other tool
// takes defaultName (a Tool object's name).
func normalizeToolSpec(spec v1.ToolSpec, defaultName string) v1.ToolSpec {
	if spec.Type == "" {
		spec.Type = v1.ToolTypeFunction
	}
	if spec.Name != "" {
		return spec
	}
	switch {
	case spec.Type == v1.ToolTypeDelegateToAgent && spec.AgentRef != nil:
		spec.Name = sanitizeToolName("delegate_to_" + spec.AgentRef.Name)
	case spec.Type == v1.ToolTypeHumanContact && spec.ContactChannelRef != nil:
		spec.Name = sanitizeToolName("contact_human_via_" + spec.ContactChannelRef.Name)
	case defaultName != "":
		spec.Name = defaultName
	}
	return spec
}

// sanitizeToolName turns s into a valid function name.
func sanitizeToolName(s string) string {
	s = toolNameInvalid.ReplaceAllString(s, "_")
	if len(s) > maxToolNameLen {
		s = s[:maxToolNameLen]
	}
	return s
}

// validateToolSpec checks a normalized spec and returns a user-facing error.
func validateToolSpec(spec v1.ToolSpec) error {
	if spec.Name == "" {
		return errors.New("name is required")
	}
	if !toolNamePattern.MatchString(spec.Name) {
		return fmt.Errorf("name %q is not a valid function name: use 1 to 64 letters, digits, _ or -", spec.Name)
	}
	switch spec.Type {
	case v1.ToolTypeFunction:
		if spec.AgentRef != nil || spec.ContactChannelRef != nil {
			return errors.New("a function tool takes execute.builtin, not agentRef or contactChannelRef")
		}
		if spec.Execute == nil || spec.Execute.Builtin == nil || spec.Execute.Builtin.Name == "" {
			return fmt.Errorf("a function tool needs execute.builtin.name (one of %s)", strings.Join(builtin.Names(), ", "))
		}
		if _, ok := builtin.Lookup(spec.Execute.Builtin.Name); !ok {
			return fmt.Errorf("unknown builtin %q: known builtins are %s", spec.Execute.Builtin.Name, strings.Join(builtin.Names(), ", "))
		}
	case v1.ToolTypeDelegateToAgent:
		if spec.AgentRef == nil || spec.AgentRef.Name == "" {
			return errors.New("a delegateToAgent tool needs agentRef.name")
		}
		if spec.Execute != nil || spec.ContactChannelRef != nil {
			return errors.New("a delegateToAgent tool takes agentRef only, not execute or contactChannelRef")
		}
	case v1.ToolTypeHumanContact:
		if spec.ContactChannelRef == nil || spec.ContactChannelRef.Name == "" {
			return errors.New("a humanContact tool needs contactChannelRef.name")
		}
		if spec.Execute != nil || spec.AgentRef != nil {
			return errors.New("a humanContact tool takes contactChannelRef only, not execute or agentRef")
		}
	default:
		return fmt.Errorf("unknown type %q: use %s, %s or %s", spec.Type, v1.ToolTypeFunction, v1.ToolTypeDelegateToAgent, v1.ToolTypeHumanContact)
	}
	if _, err := compileArgumentsSchema(spec.Arguments); err != nil {
		return err
	}
	return nil
}

// argumentsSchemaURL names the arguments schema inside the compiler; it shows in error messages.
const argumentsSchemaURL = "mem:///arguments"

// compileArgumentsSchema compiles spec.arguments (nil → nil schema, meaning "any object").
func compileArgumentsSchema(raw *runtime.RawExtension) (*jsonschema.Schema, error) {
	if raw == nil || len(bytes.TrimSpace(raw.Raw)) == 0 {
		return nil, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw.Raw))
	if err != nil {
		return nil, fmt.Errorf("arguments is not valid JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("arguments must be a JSON Schema object")
	}
	if obj["type"] != "object" {
		return nil, fmt.Errorf(`arguments must be a schema of type "object" (the function's named parameters), got type %s`, typeForMessage(obj["type"]))
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	if err := c.AddResource(argumentsSchemaURL, doc); err != nil {
		return nil, fmt.Errorf("arguments is not a valid JSON Schema: %w", err)
	}
	sch, err := c.Compile(argumentsSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("arguments is not a valid JSON Schema: %s", schemaErrorMessage(err))
	}
	return sch, nil
}

// typeForMessage renders a schema's "type" value for an error message.
func typeForMessage(v any) string {
	if v == nil {
		return "(none)"
	}
	return fmt.Sprintf("%v", v)
}

// schemaErrorMessage flattens a compiler error to one line for statusDetail: for a schema that
// breaks the JSON Schema metaschema, the innermost failures ("at '/required': got string, want array").
func schemaErrorMessage(err error) string {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if !errors.As(err, &sve) || !errors.As(sve.Err, &ve) {
		return strings.ReplaceAll(err.Error(), argumentsSchemaURL, "arguments")
	}
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e.Error())
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(leaves, "; ")
}

// refuseLoader refuses every external $ref: an arguments schema must be self-contained, and the
// hook server must never read its own files or the network on a user's behalf.
type refuseLoader struct{}

// Load always fails.
func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external reference %q is not allowed: arguments must be self-contained", url)
}
