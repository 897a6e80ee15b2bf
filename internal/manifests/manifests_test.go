package manifests_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
	"github.com/humanlayer/kubechain/internal/builtin"
)

// root is the repository root, relative to this package's folder (go test's working directory).
const root = "../.."

// Files of samples/ that are not kubechain objects.
const (
	kustomizationFile  = "kustomization.yaml"
	secretTemplateFile = "secrets.example.yaml"
	// placeholderPrefix starts every value of the Secret template.
	placeholderPrefix = "REPLACE_WITH_"
)

// newObject returns an empty object of each kubechain kind's Go type.
var newObject = map[string]func() metav1.Object{
	"LLM":             func() metav1.Object { return &v1.LLM{} },
	"Agent":           func() metav1.Object { return &v1.Agent{} },
	"Tool":            func() metav1.Object { return &v1.Tool{} },
	"ToolSet":         func() metav1.Object { return &v1.ToolSet{} },
	"ContactChannel":  func() metav1.Object { return &v1.ContactChannel{} },
	"Task":            func() metav1.Object { return &v1.Task{} },
	"TaskRun":         func() metav1.Object { return &v1.TaskRun{} },
	"TaskRunToolCall": func() metav1.Object { return &v1.TaskRunToolCall{} },
}

// document is one YAML document of a manifest file, converted to JSON.
type document struct {
	file  string // path relative to the repository root
	index int    // position in the file, from 1
	json  []byte
}

func (d document) String() string { return fmt.Sprintf("%s, document %d", d.file, d.index) }

// readDocuments returns the YAML documents of the file at rel (relative to the
// repository root), skipping documents that hold nothing but comments.
func readDocuments(t *testing.T, rel string) []document {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	require.NoError(t, err)
	return splitDocuments(t, rel, data)
}

func splitDocuments(t *testing.T, name string, data []byte) []document {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []document
	for i := 1; ; i++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		require.NoError(t, err, name)
		// Strict: a key given twice in one mapping is an error.
		j, err := yaml.YAMLToJSONStrict(raw)
		require.NoError(t, err, "%s, document %d", name, i)
		if string(bytes.TrimSpace(j)) == "null" {
			continue
		}
		docs = append(docs, document{file: name, index: i, json: j})
	}
}

// decodeStrict decodes JSON into v, failing on fields v's type does not have.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// sample is a kubechain object decoded from samples/.
type sample struct {
	doc  document
	kind string
	obj  metav1.Object // *v1.LLM, *v1.Agent, ...
}

func (s sample) String() string { return fmt.Sprintf("%s %s (%s)", s.kind, s.obj.GetName(), s.doc) }

// decodeSample decodes a kubechain object strictly into its Go type and
// validates it against its CRD's schema.
func decodeSample(d document, schemas map[string]*jsonschema.Schema) (sample, error) {
	var tm metav1.TypeMeta
	if err := json.Unmarshal(d.json, &tm); err != nil {
		return sample{}, err
	}
	if tm.APIVersion != v1.APIVersion {
		return sample{}, fmt.Errorf("apiVersion is %q, want %q", tm.APIVersion, v1.APIVersion)
	}
	newObj, ok := newObject[tm.Kind]
	if !ok {
		return sample{}, fmt.Errorf("unknown kind %q", tm.Kind)
	}
	obj := newObj()
	if err := decodeStrict(d.json, obj); err != nil {
		return sample{}, fmt.Errorf("decode %s: %w", tm.Kind, err)
	}
	if obj.GetName() == "" {
		return sample{}, errors.New("metadata.name is empty")
	}
	// The Go decoder matches field names case-insensitively; the schema, closed
	// like the API server's strict field validation, does not.
	schema, ok := schemas[tm.Kind]
	if !ok {
		return sample{}, fmt.Errorf("no CRD for kind %q in crds/", tm.Kind)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(d.json))
	if err != nil {
		return sample{}, err
	}
	if err := schema.Validate(dropNulls(inst)); err != nil {
		return sample{}, fmt.Errorf("invalid against the %s CRD: %w", tm.Kind, err)
	}
	return sample{doc: d, kind: tm.Kind, obj: obj}, nil
}

// dropNulls removes null object members, as the API server prunes them from
// fields that are not nullable before validating.
func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			v[k] = dropNulls(e)
		}
	case []any:
		for i, e := range v {
			v[i] = dropNulls(e)
		}
	}
	return v
}

// crd holds the parts of a CustomResourceDefinition the tests look at.
type crd struct {
	Kind string `json:"kind"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind       string   `json:"kind"`
			Plural     string   `json:"plural"`
			Categories []string `json:"categories"`
		} `json:"names"`
		Versions []struct {
			Name         string         `json:"name"`
			Served       bool           `json:"served"`
			Storage      bool           `json:"storage"`
			Subresources map[string]any `json:"subresources"`
			Schema       struct {
				OpenAPIV3Schema json.RawMessage `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// crdFiles lists the generated CRD files in crds/, relative to the repository root.
func crdFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "crds", "kubechain.humanlayer.dev_*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no CRDs in crds/; run make generate")
	rel := make([]string, len(files))
	for i, f := range files {
		rel[i] = filepath.Join("crds", filepath.Base(f))
	}
	return rel
}

// readCRDs decodes every generated CRD, keyed by kind.
func readCRDs(t *testing.T) map[string]crd {
	t.Helper()
	crds := map[string]crd{}
	for _, f := range crdFiles(t) {
		docs := readDocuments(t, f)
		require.Len(t, docs, 1, f)
		var c crd
		require.NoError(t, json.Unmarshal(docs[0].json, &c), f)
		require.Equal(t, "CustomResourceDefinition", c.Kind, f)
		require.NotContains(t, crds, c.Spec.Names.Kind, "two CRDs for one kind")
		crds[c.Spec.Names.Kind] = c
	}
	return crds
}

// compileSchemas compiles each CRD's schema, closed the way the API server's
// strict field validation treats it: an object with declared properties
// admits no others unless it preserves unknown fields.
func compileSchemas(t *testing.T, crds map[string]crd) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4) // OpenAPI v3 schemas are close to draft 4
	schemas := map[string]*jsonschema.Schema{}
	for kind, def := range crds {
		require.Len(t, def.Spec.Versions, 1, kind)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(def.Spec.Versions[0].Schema.OpenAPIV3Schema))
		require.NoError(t, err, kind)
		closeObjects(doc)
		url := "mem:///crds/" + kind
		require.NoError(t, c.AddResource(url, doc))
		s, err := c.Compile(url)
		require.NoError(t, err, kind)
		schemas[kind] = s
	}
	return schemas
}

// closeObjects sets additionalProperties: false on every object schema in s
// that declares properties and does not preserve unknown fields.
func closeObjects(s any) {
	m, ok := s.(map[string]any)
	if !ok {
		return
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if m["x-kubernetes-preserve-unknown-fields"] != true {
			m["additionalProperties"] = false
		}
		for _, p := range props {
			closeObjects(p)
		}
	}
	closeObjects(m["items"])
}

// readSamples decodes every kubechain object of the files listed in samples/kustomization.yaml.
func readSamples(t *testing.T) []sample {
	t.Helper()
	schemas := compileSchemas(t, readCRDs(t))
	var samples []sample
	for _, f := range readKustomization(t, "samples").Resources {
		for _, d := range readDocuments(t, filepath.Join("samples", f)) {
			s, err := decodeSample(d, schemas)
			require.NoError(t, err, d.String())
			samples = append(samples, s)
		}
	}
	require.NotEmpty(t, samples)
	return samples
}

// kustomization holds the fields of a kustomization.yaml the tests look at.
type kustomization struct {
	Resources []string `json:"resources"`
	Patches   []struct {
		Target struct {
			Group string `json:"group"`
			Kind  string `json:"kind"`
			Name  string `json:"name"`
		} `json:"target"`
		Patch string `json:"patch"`
	} `json:"patches"`
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	docs := readDocuments(t, filepath.Join(dir, kustomizationFile))
	require.Len(t, docs, 1)
	var k kustomization
	require.NoError(t, json.Unmarshal(docs[0].json, &k))
	return k
}

func TestSamplesDecodeStrictly(t *testing.T) {
	samples := readSamples(t)
	seen := map[string]sample{}
	for _, s := range samples {
		key := s.kind + "/" + s.obj.GetName()
		if prev, ok := seen[key]; ok {
			t.Errorf("%s is defined twice: in %s and %s", key, prev.doc, s.doc)
		}
		seen[key] = s
	}
	// The example application of the docs; a rename has to be made there too.
	want := []string{
		"Agent/calculator-operator",
		"Agent/project-manager",
		"ContactChannel/contact-manager-in-slack",
		"LLM/gpt-4o",
		"Task/add-task",
		"Tool/add",
		"Tool/contact-manager-in-slack",
		"Tool/delegate-to-calculator-operator",
		"ToolSet/calculator-toolset",
	}
	got := make([]string, 0, len(seen))
	for k := range seen {
		got = append(got, k)
	}
	sort.Strings(got)
	assert.Equal(t, want, got)
}

// TestDecodeSampleRejects makes sure the checks of TestSamplesDecodeStrictly have teeth.
func TestDecodeSampleRejects(t *testing.T) {
	schemas := compileSchemas(t, readCRDs(t))
	const header = "apiVersion: kubechain.humanlayer.dev/v1alpha1\nmetadata: {name: x}\n"
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{
			name:    "unknown field",
			yaml:    header + "kind: Task\nspec: {agentRef: {name: a}, input: {message: hi}, priority: 1}\n",
			wantErr: `unknown field "priority"`,
		},
		{
			name:    "unknown kind",
			yaml:    header + "kind: Workflow\nspec: {}\n",
			wantErr: `unknown kind "Workflow"`,
		},
		{
			name:    "other API version",
			yaml:    "apiVersion: kubechain.humanlayer.dev/v1beta1\nkind: Task\nmetadata: {name: x}\n",
			wantErr: `apiVersion is "kubechain.humanlayer.dev/v1beta1"`,
		},
		{
			name:    "field in the wrong case",
			yaml:    header + "kind: Task\nspec: {agentref: {name: a}, agentRef: {name: a}, input: {message: hi}}\n",
			wantErr: "additional properties 'agentref' not allowed",
		},
		{
			name:    "value outside the enum",
			yaml:    header + "kind: Tool\nspec: {type: shell}\n",
			wantErr: "/spec/type",
		},
		{
			name:    "missing required field",
			yaml:    header + "kind: Task\nspec: {agentRef: {name: a}}\n",
			wantErr: "missing property 'input'",
		},
		{
			name:    "no name",
			yaml:    "apiVersion: kubechain.humanlayer.dev/v1alpha1\nkind: Task\nmetadata: {}\nspec: {agentRef: {name: a}, input: {message: hi}}\n",
			wantErr: "metadata.name is empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := splitDocuments(t, tt.name, []byte(tt.yaml))
			require.Len(t, docs, 1)
			_, err := decodeSample(docs[0], schemas)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestSamplesKustomizationListsEveryFile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "samples", "*"))
	require.NoError(t, err)
	var want []string
	for _, f := range files {
		base := filepath.Base(f)
		switch {
		case base == kustomizationFile || base == secretTemplateFile:
		case strings.HasSuffix(base, ".yaml"):
			want = append(want, base)
		default:
			t.Errorf("samples/%s: only .yaml files belong in samples/", base)
		}
	}
	got := slices.Clone(readKustomization(t, "samples").Resources)
	sort.Strings(got)
	assert.Equal(t, want, got, "samples/kustomization.yaml must list every sample file except %s", secretTemplateFile)
}

// secretTemplate is a Secret of samples/secrets.example.yaml.
type secretTemplate struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Type       string            `json:"type"`
	StringData map[string]string `json:"stringData"`
}

// readSecretTemplate returns the keys of each Secret in the template, checking
// that every value is a placeholder.
func readSecretTemplate(t *testing.T) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	for _, d := range readDocuments(t, filepath.Join("samples", secretTemplateFile)) {
		var s secretTemplate
		require.NoError(t, decodeStrict(d.json, &s), d.String())
		require.Equal(t, "v1", s.APIVersion, d.String())
		require.Equal(t, "Secret", s.Kind, d.String())
		require.NotEmpty(t, s.Metadata.Name, d.String())
		for k, v := range s.StringData {
			assert.True(t, strings.HasPrefix(v, placeholderPrefix),
				"%s: %s must be a placeholder starting with %s, never a real value", d, k, placeholderPrefix)
			keys[s.Metadata.Name] = append(keys[s.Metadata.Name], k)
		}
	}
	return keys
}

// reference is a name a sample uses, with the kinds it may resolve to (in lookup order).
type reference struct {
	field string
	kinds []string
	name  string
}

// refsOf lists the objects, Secret keys and builtins a sample refers to.
func refsOf(obj metav1.Object) (refs []reference, secrets map[string]v1.SecretKeySelector, builtins []string) {
	secrets = map[string]v1.SecretKeySelector{}
	toolRefs := func(prefix string, spec v1.ToolSpec) {
		if spec.AgentRef != nil {
			refs = append(refs, reference{prefix + "agentRef", []string{"Agent"}, spec.AgentRef.Name})
		}
		if spec.ContactChannelRef != nil {
			refs = append(refs, reference{prefix + "contactChannelRef", []string{"ContactChannel"}, spec.ContactChannelRef.Name})
		}
		if spec.Execute != nil && spec.Execute.Builtin != nil {
			builtins = append(builtins, spec.Execute.Builtin.Name)
		}
	}
	switch o := obj.(type) {
	case *v1.LLM:
		secrets["spec.apiKeyFrom"] = o.Spec.APIKeyFrom.SecretKeyRef
	case *v1.Agent:
		refs = append(refs, reference{"spec.llmRef", []string{"LLM"}, o.Spec.LLMRef.Name})
		for i, r := range o.Spec.ToolsetRefs {
			refs = append(refs, reference{fmt.Sprintf("spec.toolsetRefs[%d]", i), []string{"Tool", "ToolSet"}, r.Name})
		}
	case *v1.Tool:
		toolRefs("spec.", o.Spec)
	case *v1.ToolSet:
		for i, tool := range o.Spec.Tools {
			toolRefs(fmt.Sprintf("spec.tools[%d].", i), tool)
		}
	case *v1.ContactChannel:
		if o.Spec.Slack != nil {
			secrets["spec.slack.slackBotTokenFrom"] = o.Spec.Slack.SlackBotTokenFrom.SecretKeyRef
		}
	case *v1.Task:
		refs = append(refs, reference{"spec.agentRef", []string{"Agent"}, o.Spec.AgentRef.Name})
	}
	return refs, secrets, builtins
}

func TestSamplesReferencesResolve(t *testing.T) {
	samples := readSamples(t)
	secretKeys := readSecretTemplate(t)
	names := map[string]bool{} // kind/name
	for _, s := range samples {
		names[s.kind+"/"+s.obj.GetName()] = true
	}
	for _, s := range samples {
		refs, secrets, builtins := refsOf(s.obj)
		for _, r := range refs {
			found := slices.ContainsFunc(r.kinds, func(k string) bool { return names[k+"/"+r.name] })
			assert.True(t, found, "%s: %s names %q, which is no %s in samples/", s, r.field, r.name, strings.Join(r.kinds, " or "))
		}
		for field, sel := range secrets {
			assert.Contains(t, secretKeys[sel.Name], sel.Key,
				"%s: %s names key %s of Secret %s, which samples/%s does not document", s, field, sel.Key, sel.Name, secretTemplateFile)
		}
		for _, b := range builtins {
			_, ok := builtin.Lookup(b)
			assert.True(t, ok, "%s: unknown builtin %q", s, b)
		}
	}
}

func TestSecretTemplateIsNotApplied(t *testing.T) {
	assert.NotContains(t, readKustomization(t, "samples").Resources, secretTemplateFile,
		"the Secret template must not be applied with the samples: it would overwrite real keys with placeholders")
	assert.NotEmpty(t, readSecretTemplate(t))
}

func TestCRDs(t *testing.T) {
	crds := readCRDs(t)
	kinds := make([]string, 0, len(newObject))
	for k := range newObject {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	got := make([]string, 0, len(crds))
	for k := range crds {
		got = append(got, k)
	}
	sort.Strings(got)
	require.Equal(t, kinds, got, "crds/ must hold one CRD per kind of api/v1alpha1; run make generate")

	for kind, c := range crds {
		t.Run(kind, func(t *testing.T) {
			assert.Equal(t, v1.Group, c.Spec.Group)
			assert.Contains(t, c.Spec.Names.Categories, "kubechain", "kubectl get kubechain lists every kind")
			require.Len(t, c.Spec.Versions, 1)
			ver := c.Spec.Versions[0]
			assert.Equal(t, v1.Version, ver.Name)
			assert.True(t, ver.Served && ver.Storage, "served and storage")
			// Metacontroller ignores a parent without the status subresource.
			assert.Contains(t, ver.Subresources, "status")
			var schema struct {
				Properties struct {
					Status struct {
						Properties map[string]any `json:"properties"`
					} `json:"status"`
				} `json:"properties"`
			}
			require.NoError(t, json.Unmarshal(ver.Schema.OpenAPIV3Schema, &schema))
			// Metacontroller writes observedGeneration into every parent's status.
			assert.Contains(t, schema.Properties.Status.Properties, "observedGeneration")
		})
	}

	var files []string
	for _, f := range crdFiles(t) {
		files = append(files, filepath.Base(f))
	}
	listed := slices.Clone(readKustomization(t, "crds").Resources)
	sort.Strings(listed)
	assert.Equal(t, files, listed, "crds/kustomization.yaml must list every generated CRD")
}

// compositeController holds the parts of a CompositeController the tests look at.
type compositeController struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Hooks map[string]struct {
			Webhook struct {
				URL     string `json:"url"`
				Path    string `json:"path"`
				Service *struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
					Port      int    `json:"port"`
					Protocol  string `json:"protocol"`
				} `json:"service"`
			} `json:"webhook"`
		} `json:"hooks"`
	} `json:"spec"`
}

func readCompositeControllers(t *testing.T) []compositeController {
	t.Helper()
	var ccs []compositeController
	for _, f := range readKustomization(t, "metacontroller").Resources {
		for _, d := range readDocuments(t, filepath.Join("metacontroller", f)) {
			var cc compositeController
			require.NoError(t, json.Unmarshal(d.json, &cc), d.String())
			if cc.Kind == "CompositeController" {
				ccs = append(ccs, cc)
			}
		}
	}
	require.NotEmpty(t, ccs)
	return ccs
}

// patchOp is one JSON6902 operation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// TestOutOfClusterOverlayRewritesEveryHook checks that deploy/out-of-cluster
// turns each service hook of metacontroller/ into http://HOST:8080/<path>,
// and that the in-cluster hooks point at the Service in deploy/.
func TestOutOfClusterOverlayRewritesEveryHook(t *testing.T) {
	svc := readHookServerService(t)

	want := map[string][]patchOp{} // CompositeController name → operations
	for _, cc := range readCompositeControllers(t) {
		for name, hook := range cc.Spec.Hooks {
			wh := hook.Webhook
			require.NotNil(t, wh.Service, "%s hook %s: no service", cc.Metadata.Name, name)
			assert.Equal(t, svc.name, wh.Service.Name, "%s hook %s: service name", cc.Metadata.Name, name)
			assert.Equal(t, svc.namespace, wh.Service.Namespace, "%s hook %s: service namespace", cc.Metadata.Name, name)
			assert.Equal(t, svc.port, wh.Service.Port, "%s hook %s: service port", cc.Metadata.Name, name)
			assert.Equal(t, "http", wh.Service.Protocol, "%s hook %s: service protocol", cc.Metadata.Name, name)
			base := "/spec/hooks/" + name + "/webhook/"
			want[cc.Metadata.Name] = append(want[cc.Metadata.Name],
				patchOp{Op: "remove", Path: base + "service"},
				patchOp{Op: "remove", Path: base + "path"},
				patchOp{Op: "add", Path: base + "url", Value: fmt.Sprintf("http://HOST:%d%s", svc.port, wh.Path)},
			)
		}
	}

	got := map[string][]patchOp{}
	for _, p := range readKustomization(t, filepath.Join("deploy", "out-of-cluster")).Patches {
		assert.Equal(t, "metacontroller.k8s.io", p.Target.Group)
		assert.Equal(t, "CompositeController", p.Target.Kind)
		var ops []patchOp
		require.NoError(t, yaml.UnmarshalStrict([]byte(p.Patch), &ops), p.Target.Name)
		got[p.Target.Name] = append(got[p.Target.Name], ops...)
	}

	for name, ops := range want {
		assert.ElementsMatch(t, ops, got[name], "deploy/out-of-cluster patches of %s", name)
	}
	for name := range got {
		assert.Contains(t, want, name, "deploy/out-of-cluster patches %s, which metacontroller/ does not define", name)
	}
}

// hookServerService is where the in-cluster hooks are sent.
type hookServerService struct {
	name, namespace string
	port            int
}

func readHookServerService(t *testing.T) hookServerService {
	t.Helper()
	for _, d := range readDocuments(t, filepath.Join("deploy", "hookserver.yaml")) {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
			Spec struct {
				Ports []struct {
					Port int `json:"port"`
				} `json:"ports"`
			} `json:"spec"`
		}
		require.NoError(t, json.Unmarshal(d.json, &obj), d.String())
		if obj.Kind != "Service" {
			continue
		}
		require.Len(t, obj.Spec.Ports, 1, d.String())
		return hookServerService{name: obj.Metadata.Name, namespace: obj.Metadata.Namespace, port: obj.Spec.Ports[0].Port}
	}
	t.Fatal("deploy/hookserver.yaml has no Service")
	return hookServerService{}
}
