package runner

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// DefaultHookTimeout is Metacontroller's webhook timeout when a hook names none.
const DefaultHookTimeout = 10 * time.Second

// Resource ties a kind to its plural resource name and apiVersion, the
// discovery information Metacontroller gets from the API server. Every kind
// is assumed to be namespaced and unique across groups.
type Resource struct {
	// Kind is the object kind, e.g. TaskRun.
	Kind string
	// Resource is the plural resource name, e.g. taskruns.
	Resource string
	// APIVersion is group/version, or the version alone for the core group (v1).
	APIVersion string
}

// groupKey is the key under which Metacontroller groups children and related
// objects: Kind.group/version, or Kind.version for the core group.
func (r Resource) groupKey() string { return r.Kind + "." + r.APIVersion }

// UpdateMethod is a child type's updateStrategy.method.
type UpdateMethod string

// The update methods the runner emulates.
const (
	// UpdateOnDelete never updates an existing child (Metacontroller's default).
	UpdateOnDelete UpdateMethod = "OnDelete"
	// UpdateInPlace updates a child that differs with a 3-way merge.
	UpdateInPlace UpdateMethod = "InPlace"
	// UpdateRecreate deletes a child that differs; the next sync creates it again.
	UpdateRecreate UpdateMethod = "Recreate"
)

// ResourceRef names a resource as a CompositeController does.
type ResourceRef struct {
	// APIVersion is group/version, or v1 for the core group.
	APIVersion string `json:"apiVersion"`
	// Resource is the plural resource name.
	Resource string `json:"resource"`
}

// ChildResource is one of a controller's childResources.
type ChildResource struct {
	ResourceRef
	// UpdateMethod is how a child that differs from the desired one is handled.
	UpdateMethod UpdateMethod
}

// Webhook is a hook as the runner calls it: in-process, by path.
type Webhook struct {
	// Path is the request URI sent to the hook handler, e.g. /sync/taskrun
	// (the path of the webhook's url, or its path next to a service).
	Path string
	// Timeout bounds one call; DefaultHookTimeout when the webhook names none.
	Timeout time.Duration
}

// Controller is a parsed CompositeController (metacontroller.k8s.io/v1alpha1).
// Only what the runner emulates is accepted: generateSelector: true, v1 sync
// and customize hooks, no finalize hook, no resyncPeriodSeconds, no parent
// label selector.
type Controller struct {
	// Name is metadata.name.
	Name string
	// Parent is spec.parentResource.
	Parent ResourceRef
	// Children is spec.childResources.
	Children []ChildResource
	// Sync is spec.hooks.sync.webhook.
	Sync Webhook
	// Customize is spec.hooks.customize.webhook, nil without a customize hook.
	Customize *Webhook

	// object is the CompositeController as parsed, sent as the request's
	// `controller` once New has filled in what the API server would.
	object map[string]any
}

// compositeController is the part of the CompositeController schema the
// runner reads.
type compositeController struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		GenerateSelector *bool `json:"generateSelector"`
		ParentResource   struct {
			ResourceRef
			LabelSelector       json.RawMessage `json:"labelSelector"`
			IgnoreStatusChanges *bool           `json:"ignoreStatusChanges"`
		} `json:"parentResource"`
		ChildResources []struct {
			ResourceRef
			UpdateStrategy *struct {
				Method string `json:"method"`
			} `json:"updateStrategy"`
		} `json:"childResources"`
		Hooks *struct {
			Sync      *hookSpec `json:"sync"`
			Customize *hookSpec `json:"customize"`
			Finalize  *hookSpec `json:"finalize"`
		} `json:"hooks"`
		ResyncPeriodSeconds *int `json:"resyncPeriodSeconds"`
	} `json:"spec"`
}

type hookSpec struct {
	Version string `json:"version"`
	Webhook *struct {
		URL     string `json:"url"`
		Path    string `json:"path"`
		Timeout string `json:"timeout"`
	} `json:"webhook"`
}

// LoadControllers reads every CompositeController in dir's *.yaml and *.yml
// files (not recursive; kustomization.yaml is skipped), in file name order.
func LoadControllers(dir string) ([]Controller, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read controllers: %w", err)
	}
	var out []Controller
	for _, e := range entries {
		if e.IsDir() || !isYAML(e.Name()) || isKustomization(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read controllers: %w", err)
		}
		ctls, err := ParseControllers(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, ctls...)
	}
	return out, nil
}

// ParseControllers parses the CompositeControllers of a (multi-document) YAML
// file. Any other kind is an error.
func ParseControllers(data []byte) ([]Controller, error) {
	docs, err := splitYAML(data)
	if err != nil {
		return nil, err
	}
	out := make([]Controller, 0, len(docs))
	for _, doc := range docs {
		c, err := parseController(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func parseController(doc []byte) (Controller, error) {
	var cc compositeController
	if err := json.Unmarshal(doc, &cc); err != nil {
		return Controller{}, fmt.Errorf("parse CompositeController: %w", err)
	}
	if cc.APIVersion != "metacontroller.k8s.io/v1alpha1" || cc.Kind != "CompositeController" {
		return Controller{}, fmt.Errorf("%s %s: only metacontroller.k8s.io/v1alpha1 CompositeController is emulated", cc.APIVersion, cc.Kind)
	}
	name := cc.Metadata.Name
	fail := func(format string, args ...any) (Controller, error) {
		return Controller{}, fmt.Errorf("CompositeController %q: %s", name, fmt.Sprintf(format, args...))
	}
	spec := cc.Spec
	switch {
	case name == "":
		return fail("metadata.name is empty")
	case spec.GenerateSelector == nil || !*spec.GenerateSelector:
		return fail("only generateSelector: true is emulated")
	case spec.ResyncPeriodSeconds != nil:
		return fail("resyncPeriodSeconds is not emulated")
	case len(spec.ParentResource.LabelSelector) > 0 || spec.ParentResource.IgnoreStatusChanges != nil:
		return fail("parentResource.labelSelector and ignoreStatusChanges are not emulated")
	case spec.ParentResource.APIVersion == "" || spec.ParentResource.Resource == "":
		return fail("parentResource needs apiVersion and resource")
	case spec.Hooks == nil || spec.Hooks.Sync == nil:
		return fail("no sync hook")
	case spec.Hooks.Finalize != nil:
		return fail("the finalize hook is not emulated")
	}
	c := Controller{Name: name, Parent: spec.ParentResource.ResourceRef}
	for _, ch := range spec.ChildResources {
		if ch.APIVersion == "" || ch.Resource == "" {
			return fail("a childResource needs apiVersion and resource")
		}
		method := UpdateOnDelete
		if ch.UpdateStrategy != nil && ch.UpdateStrategy.Method != "" {
			method = UpdateMethod(ch.UpdateStrategy.Method)
		}
		switch method {
		case "RollingInPlace":
			method = UpdateInPlace
		case "RollingRecreate":
			method = UpdateRecreate
		case UpdateOnDelete, UpdateInPlace, UpdateRecreate:
		default:
			return fail("unknown updateStrategy.method %q", method)
		}
		c.Children = append(c.Children, ChildResource{ResourceRef: ch.ResourceRef, UpdateMethod: method})
	}
	sync, err := parseWebhook(spec.Hooks.Sync)
	if err != nil {
		return fail("sync hook: %v", err)
	}
	c.Sync = *sync
	if spec.Hooks.Customize != nil {
		if c.Customize, err = parseWebhook(spec.Hooks.Customize); err != nil {
			return fail("customize hook: %v", err)
		}
	}
	if err := json.Unmarshal(doc, &c.object); err != nil {
		return fail("%v", err)
	}
	return c, nil
}

func parseWebhook(h *hookSpec) (*Webhook, error) {
	if h.Version != "" && h.Version != "v1" {
		return nil, fmt.Errorf("hook version %q is not emulated (only v1)", h.Version)
	}
	if h.Webhook == nil {
		return nil, errors.New("only webhooks are emulated")
	}
	w := &Webhook{Path: h.Webhook.Path, Timeout: DefaultHookTimeout}
	if h.Webhook.URL != "" {
		u, err := url.Parse(h.Webhook.URL)
		if err != nil {
			return nil, fmt.Errorf("webhook url: %w", err)
		}
		w.Path = u.RequestURI()
	}
	if !strings.HasPrefix(w.Path, "/") {
		return nil, errors.New("webhook needs a url or an absolute path")
	}
	if h.Webhook.Timeout != "" {
		d, err := time.ParseDuration(h.Webhook.Timeout)
		if err != nil {
			return nil, fmt.Errorf("webhook timeout: %w", err)
		}
		if d > 0 { // Metacontroller falls back to the default for a non-positive timeout.
			w.Timeout = d
		}
	}
	return w, nil
}

// LoadObjects reads Kubernetes objects from YAML or JSON files, or from the
// *.yaml, *.yml and *.json files under directories (recursively, in lexical
// order). Files may hold several documents; empty documents and
// kustomization.yaml files are skipped.
func LoadObjects(paths ...string) ([]Object, error) {
	var out []Object
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if path != p && !isYAML(d.Name()) && !strings.HasSuffix(d.Name(), ".json") {
				return nil
			}
			if isKustomization(d.Name()) {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			docs, err := splitYAML(data)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			for _, doc := range docs {
				var obj Object
				if err := json.Unmarshal(doc, &obj); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				if obj.Kind() == "" || obj.APIVersion() == "" || obj.Name() == "" {
					return fmt.Errorf("%s: a document without apiVersion, kind or metadata.name", path)
				}
				out = append(out, obj)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load objects: %w", err)
		}
	}
	return out, nil
}

// splitYAML returns the non-empty documents of a YAML stream, as JSON.
func splitYAML(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" {
			continue
		}
		docs = append(docs, js)
	}
	return docs, nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

func isKustomization(name string) bool {
	return name == "kustomization.yaml" || name == "kustomization.yml"
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
