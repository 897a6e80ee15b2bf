package apiserver_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/humanlayer/kubechain/api/v1alpha1"
	"github.com/humanlayer/kubechain/hooks"
	"github.com/humanlayer/kubechain/test/cluster"
)

// The hook server as the CompositeControllers in metacontroller/ must name it
// (deploy/hookserver.yaml).
const (
	hookServiceName      = "kubechain-hookserver"
	hookServiceNamespace = "kubechain"
	hookServicePort      = 8080
)

// defaultLLMCallTimeout is hooks.New's default for Deps.LLMCallTimeout: the
// longest a TaskRun sync may wait for its LLM.
const defaultLLMCallTimeout = 120 * time.Second

// outOfClusterHost replaces HOST in the deploy/out-of-cluster rendering.
const outOfClusterHost = "host.docker.internal"

const ccPath = "/apis/metacontroller.k8s.io/v1alpha1/compositecontrollers/"

// compositeController is the part of a CompositeController these tests read.
type compositeController struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		GenerateSelector bool                     `json:"generateSelector"`
		ParentResource   resourceRule             `json:"parentResource"`
		ChildResources   []resourceRule           `json:"childResources"`
		Hooks            map[string]hookReference `json:"hooks"`
	} `json:"spec"`
}

// resourceRule names a parent or child resource.
type resourceRule struct {
	APIVersion string `json:"apiVersion"`
	Resource   string `json:"resource"`
}

// hookReference is one hook of a CompositeController.
type hookReference struct {
	Webhook *struct {
		URL     *string `json:"url"`
		Path    *string `json:"path"`
		Timeout string  `json:"timeout"`
		Service *struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
			Port      *int   `json:"port"`
			Protocol  string `json:"protocol"`
		} `json:"service"`
	} `json:"webhook"`
}

// TestCompositeControllers installs the real Metacontroller CRDs, applies
// metacontroller/ (and the deploy/out-of-cluster rendering) with strict
// server-side validation, and checks each CompositeController against the
// CRDs and the hook server's routes.
func TestCompositeControllers(t *testing.T) {
	t.Parallel()
	c := apiServer(t)
	crds := metacontrollerCRDs(t)
	kubectl(t, c, nil, "apply", "--server-side", "--validate=strict", "-f", crds)
	kubectl(t, c, nil, "wait", "--for=condition=Established", "--timeout=60s", "-f", crds)

	routes := map[string]int{} // path → number of hooks calling it
	for _, r := range hooks.New(hooks.Deps{}, nil).Routes(nil, nil) {
		routes[r.Path] = 0
	}
	require.NotEmpty(t, routes)

	files, err := filepath.Glob(filepath.Join(repoPath("metacontroller"), "*.yaml"))
	require.NoError(t, err)
	var names []string
	for _, file := range files {
		if filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			_, stderr := kubectl(t, c, nil, "apply", "--server-side", "--validate=strict", "-f", file)
			assert.Empty(t, stderr, "warnings from the API server")

			var sent object
			require.NoError(t, yaml.Unmarshal(data, &sent))
			var cc compositeController
			require.NoError(t, yaml.Unmarshal(data, &cc))
			names = append(names, cc.Metadata.Name)
			stored := mustDo(t, c, http.StatusOK, http.MethodGet, ccPath+cc.Metadata.Name, nil)
			assert.Empty(t, jsonDiff(ignoreDefaults, "spec", sent["spec"], stored["spec"]), "the spec must read back as written (defaults aside)")

			assert.True(t, cc.Spec.GenerateSelector, "generateSelector: kubechain parents have no spec.selector")
			checkResource(t, c, "parentResource", cc.Spec.ParentResource, true)
			for i, child := range cc.Spec.ChildResources {
				checkResource(t, c, fmt.Sprintf("childResources[%d]", i), child, false)
			}
			require.NotEmpty(t, cc.Spec.Hooks, "no hooks")
			require.Contains(t, cc.Spec.Hooks, "sync")
			for name, h := range cc.Spec.Hooks {
				path := checkServiceHook(t, "hooks."+name, h)
				if _, ok := routes[path]; assert.True(t, ok, "hooks.%s: path %q is not a route of the hook server", name, path) {
					routes[path]++
				}
				timeout := hookTimeout(t, "hooks."+name, h)
				if cc.Spec.ParentResource.Resource == "taskruns" && name == "sync" {
					assert.Greater(t, timeout, defaultLLMCallTimeout,
						"the TaskRun sync timeout must exceed the hook server's LLM call timeout, or Metacontroller gives up first")
				}
			}
		})
	}
	t.Run("every route is called by exactly one hook", func(t *testing.T) {
		for path, n := range routes {
			assert.Equal(t, 1, n, "hooks calling %s", path)
		}
	})

	t.Run("deploy/out-of-cluster", func(t *testing.T) {
		require.NotEmpty(t, names, "metacontroller/ was not applied")
		rendered, _ := kubectl(t, c, nil, "kustomize", repoPath("deploy/out-of-cluster"))
		require.Contains(t, rendered, "//HOST:")
		rendered = strings.ReplaceAll(rendered, "//HOST:", "//"+outOfClusterHost+":")
		_, stderr := kubectl(t, c, []byte(rendered), "apply", "--server-side", "--validate=strict", "-f", "-")
		assert.Empty(t, stderr, "warnings from the API server")

		for _, name := range names {
			raw := mustDo(t, c, http.StatusOK, http.MethodGet, ccPath+name, nil)
			var cc compositeController
			require.NoError(t, remarshal(raw, &cc))
			for hook, h := range cc.Spec.Hooks {
				field := name + ": hooks." + hook
				if !assert.NotNil(t, h.Webhook, field) {
					continue
				}
				assert.Nil(t, h.Webhook.Service, "%s: service must be replaced by url", field)
				assert.Nil(t, h.Webhook.Path, "%s: path must be replaced by url", field)
				if assert.NotNil(t, h.Webhook.URL, "%s: url", field) {
					prefix := "http://" + outOfClusterHost + ":8080"
					url := *h.Webhook.URL
					require.True(t, strings.HasPrefix(url, prefix), "%s: url %q does not start with %s", field, url, prefix)
					assert.Contains(t, routes, strings.TrimPrefix(url, prefix), "%s: url %q names no route", field, url)
				}
				hookTimeout(t, field, h)
			}
		}
	})
}

// metacontrollerCRDs finds shared/metacontroller/metacontroller-crds-v1.yaml.
func metacontrollerCRDs(t *testing.T) string {
	t.Helper()
	const rel = "metacontroller/metacontroller-crds-v1.yaml"
	var dirs []string
	if d := os.Getenv("KUBECHAIN_SHARED"); d != "" {
		dirs = append(dirs, d)
	}
	dirs = append(dirs, repoPath("../shared"), "/work/shared")
	for _, d := range dirs {
		p := filepath.Join(d, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "the Metacontroller CRDs (" + rel + ") are in none of " + strings.Join(dirs, ", ") +
		"; set KUBECHAIN_SHARED to the folder that holds metacontroller/"
	if requireAPIServer() {
		t.Fatalf("%s is set: %s", cluster.EnvRequire, msg)
	}
	t.Skip(msg)
	return ""
}

// checkResource checks that rule names a served kubechain CRD with the status
// subresource; a parent's status schema must also declare observedGeneration,
// which Metacontroller writes.
func checkResource(t *testing.T, c *cluster.Cluster, field string, rule resourceRule, parent bool) {
	t.Helper()
	assert.Equal(t, v1alpha1.APIVersion, rule.APIVersion, "%s.apiVersion", field)
	code, crd := do(t, c, http.MethodGet,
		"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+rule.Resource+"."+v1alpha1.Group, nil)
	if !assert.Equal(t, http.StatusOK, code, "%s.resource %q: no such kubechain CRD", field, rule.Resource) {
		return
	}
	var spec struct {
		Spec struct {
			Versions []struct {
				Name         string `json:"name"`
				Served       bool   `json:"served"`
				Subresources struct {
					Status *object `json:"status"`
				} `json:"subresources"`
				Schema struct {
					OpenAPIV3Schema struct {
						Properties map[string]struct {
							Properties map[string]struct {
								Type string `json:"type"`
							} `json:"properties"`
						} `json:"properties"`
					} `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	require.NoError(t, remarshal(crd, &spec))
	for _, v := range spec.Spec.Versions {
		if v.Name != v1alpha1.Version {
			continue
		}
		assert.True(t, v.Served, "%s: %s %s is not served", field, rule.Resource, v.Name)
		assert.NotNil(t, v.Subresources.Status, "%s: %s has no status subresource; Metacontroller ignores such a controller", field, rule.Resource)
		if parent {
			og := v.Schema.OpenAPIV3Schema.Properties["status"].Properties["observedGeneration"]
			assert.Equal(t, "integer", og.Type, "%s: %s status schema must declare observedGeneration (integer)", field, rule.Resource)
		}
		return
	}
	assert.Fail(t, field+": CRD "+rule.Resource+" has no version "+v1alpha1.Version)
}

// checkServiceHook checks that h calls the hook server's Service and returns its path.
func checkServiceHook(t *testing.T, field string, h hookReference) string {
	t.Helper()
	require.NotNil(t, h.Webhook, "%s: only webhooks are supported", field)
	assert.Nil(t, h.Webhook.URL, "%s: url; the in-cluster hooks call the Service", field)
	if assert.NotNil(t, h.Webhook.Service, "%s.webhook.service", field) {
		s := h.Webhook.Service
		assert.Equal(t, hookServiceName, s.Name, "%s.webhook.service.name", field)
		assert.Equal(t, hookServiceNamespace, s.Namespace, "%s.webhook.service.namespace", field)
		if assert.NotNil(t, s.Port, "%s.webhook.service.port", field) {
			assert.Equal(t, hookServicePort, *s.Port, "%s.webhook.service.port", field)
		}
		assert.Contains(t, []string{"", "http"}, s.Protocol, "%s.webhook.service.protocol", field)
	}
	require.NotNil(t, h.Webhook.Path, "%s.webhook.path", field)
	return *h.Webhook.Path
}

// hookTimeout parses h's timeout, which must be set and positive.
func hookTimeout(t *testing.T, field string, h hookReference) time.Duration {
	t.Helper()
	require.NotNil(t, h.Webhook, field)
	d, err := time.ParseDuration(h.Webhook.Timeout)
	require.NoError(t, err, "%s.webhook.timeout", field)
	assert.Positive(t, d, "%s.webhook.timeout", field)
	return d
}
