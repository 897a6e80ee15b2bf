package apiserver_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenCase is one hooks/testdata/<hook>/<name>.{request,response}.json pair
// whose response has HTTP status 200.
type goldenCase struct {
	// hook is the testdata folder, name the case.
	hook, name string
	// parent is the request's parent.
	parent object
	// status and children are the response's.
	status   object
	children []object
}

// loadGolden reads the cases of hooks/testdata/<hook> that answer 200.
func loadGolden(t *testing.T, hook string) []goldenCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoPath("hooks/testdata"), hook, "*.response.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no golden responses in hooks/testdata/%s", hook)
	var cases []goldenCase
	for _, file := range files {
		var resp struct {
			Code int             `json:"code"`
			Body json.RawMessage `json:"body"`
		}
		readJSON(t, file, &resp)
		if resp.Code != http.StatusOK {
			continue
		}
		var body struct {
			Status   object   `json:"status"`
			Children []object `json:"children"`
		}
		require.NoError(t, json.Unmarshal(resp.Body, &body), file)
		var req struct {
			Parent object `json:"parent"`
		}
		readJSON(t, strings.TrimSuffix(file, ".response.json")+".request.json", &req)
		require.NotNil(t, req.Parent, "%s: the request has no parent", file)
		cases = append(cases, goldenCase{
			hook:     hook,
			name:     strings.TrimSuffix(filepath.Base(file), ".response.json"),
			parent:   req.Parent,
			status:   body.Status,
			children: body.Children,
		})
	}
	return cases
}

// readJSON decodes the file at path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v), path)
}

// statusHooks are the hooks whose golden responses write a parent's status.
var statusHooks = []string{"llm", "agent", "tool", "toolset", "contactchannel", "task", "taskrun", "taskruntoolcall"}

// childHooks are the hooks whose golden responses return children.
var childHooks = []string{"task", "taskrun", "taskruntoolcall"}

// rejectedParents are the golden cases (hook/case) whose parent the CRD
// rejects on purpose, with the rule that does: the hook handles them
// defensively, but they cannot happen in a cluster.
var rejectedParents = map[string]string{
	"toolset/duplicate-name":      "x-kubernetes-validations on spec.tools: names unique within the set",
	"toolset/member-without-name": "x-kubernetes-validations on spec.tools: every member has a name",
	"contactchannel/no-slack":     "x-kubernetes-validations on spec: spec.slack is required",
}

// TestHookStatusesSurviveTheStatusSubresource writes the status of every
// golden 200 response through the status subresource of a parent like the
// request's and reads it back: a field the CRD prunes or coerces would make
// Metacontroller write the status again on every sync.
func TestHookStatusesSurviveTheStatusSubresource(t *testing.T) {
	t.Parallel()
	c := apiServer(t)
	for _, hook := range statusHooks {
		ns := "status-" + hook
		createNamespace(t, c, ns)
		for _, gc := range loadGolden(t, hook) {
			t.Run(hook+"/"+gc.name, func(t *testing.T) {
				require.NotNil(t, gc.status, "the response has no status, which wipes the parent's status")
				parent := freshParent(gc.parent, ns, dnsName(gc.name))
				kind, _ := parent["kind"].(string)
				code, created := do(t, c, http.MethodPost, resourcePath(kind, ns, ""), parent)
				if why, ok := rejectedParents[hook+"/"+gc.name]; ok {
					assert.Equal(t, http.StatusUnprocessableEntity, code,
						"the CRD must reject this case's parent (%s), so its status is never written", why)
					return
				}
				require.Equal(t, http.StatusCreated, code,
					"the API server rejects the parent of hooks/testdata/%s/%s.request.json: %s\n"+
						"Either the case cannot happen in a cluster (then list it in rejectedParents) or the CRD refuses what the hook accepts.",
					hook, gc.name, created["message"])

				status := deepCopy(t, gc.status)
				// Metacontroller adds the parent's generation to every status it writes.
				status["observedGeneration"] = created["metadata"].(object)["generation"]
				created["status"] = status
				path := resourcePath(kind, ns, dnsName(gc.name))
				mustDo(t, c, http.StatusOK, http.MethodPut, path+"/status", created)

				stored := mustDo(t, c, http.StatusOK, http.MethodGet, path, nil)
				assert.Empty(t, jsonDiff(exact, "status", status, stored["status"]),
					"hooks/testdata/%s/%s.response.json: the status must read back as written", hook, gc.name)
			})
		}
	}
}

// TestHookChildrenReadBackUnchanged creates every child of every golden 200
// response as Metacontroller would (in the parent's namespace) and checks
// that spec, labels and annotations read back exactly as sent, and that a
// second create answers AlreadyExists, which Metacontroller ignores.
func TestHookChildrenReadBackUnchanged(t *testing.T) {
	t.Parallel()
	c := apiServer(t)
	for _, hook := range childHooks {
		for _, gc := range loadGolden(t, hook) {
			if len(gc.children) == 0 {
				continue
			}
			t.Run(hook+"/"+gc.name, func(t *testing.T) {
				ns := dnsName("children-" + hook + "-" + gc.name)
				createNamespace(t, c, ns)
				for i, child := range gc.children {
					sent := deepCopy(t, child)
					meta, _ := sent["metadata"].(object)
					require.NotNil(t, meta, "children[%d] has no metadata", i)
					name, _ := meta["name"].(string)
					require.NotEmpty(t, name, "children[%d]: Metacontroller needs a deterministic name", i)
					assert.NotContains(t, meta, "generateName", "children[%d]", i)
					assert.Equal(t, "kubechain.humanlayer.dev/v1alpha1", sent["apiVersion"], "children[%d].apiVersion", i)
					kind, _ := sent["kind"].(string)
					require.Contains(t, []string{"TaskRun", "TaskRunToolCall"}, kind, "children[%d].kind", i)
					meta["namespace"] = ns

					mustDo(t, c, http.StatusCreated, http.MethodPost, resourcePath(kind, ns, ""), sent)
					stored := mustDo(t, c, http.StatusOK, http.MethodGet, resourcePath(kind, ns, name), nil)
					storedMeta, _ := stored["metadata"].(object)
					where := kind + " " + name
					assert.Empty(t, jsonDiff(exact, "spec", sent["spec"], stored["spec"]), where)
					assert.Empty(t, jsonDiff(exact, "metadata.labels", meta["labels"], storedMeta["labels"]), where)
					assert.Empty(t, jsonDiff(exact, "metadata.annotations", meta["annotations"], storedMeta["annotations"]), where)

					code, resp := do(t, c, http.MethodPost, resourcePath(kind, ns, ""), sent)
					assert.Equal(t, http.StatusConflict, code, "second create of %s", where)
					assert.Equal(t, "AlreadyExists", resp["reason"], "second create of %s: %s", where, resp["message"])
				}
			})
		}
	}
}

// freshParent returns a copy of a golden request's parent, ready to create as
// name in namespace ns: metadata keeps only labels and annotations (no uid,
// resourceVersion, generation, timestamps, managed fields or owner
// references, which would point at nothing), and status is dropped.
func freshParent(parent object, ns, name string) object {
	meta := object{"name": name, "namespace": ns}
	if old, ok := parent["metadata"].(object); ok {
		for _, k := range []string{"labels", "annotations"} {
			if v, ok := old[k]; ok {
				meta[k] = v
			}
		}
	}
	out := object{"metadata": meta}
	for k, v := range parent {
		if k != "metadata" && k != "status" {
			out[k] = v
		}
	}
	return out
}

// deepCopy copies v through JSON.
func deepCopy(t *testing.T, v object) object {
	t.Helper()
	var out object
	require.NoError(t, remarshal(v, &out))
	return out
}
