package apiserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/humanlayer/kubechain/api/v1alpha1"
)

// gcTimeout bounds each wait for the garbage collector. It picks up resources
// that appear after it started (our CRDs) at its next discovery sync, which
// runs every 30 s.
const gcTimeout = 50 * time.Second

// TestGarbageCollectionCascade builds the tree Metacontroller builds for a
// delegating task (Task → TaskRun → TaskRunToolCall → TaskRun, each owned by
// the one before with controller and blockOwnerDeletion set), deletes the
// Task in the background and waits until the garbage collector has removed
// every descendant.
func TestGarbageCollectionCascade(t *testing.T) {
	t.Parallel()
	c := apiServer(t)
	const ns = "gc"
	createNamespace(t, c, ns)

	type node struct{ kind, name string }
	task := node{"Task", "delegate"}
	tree := []struct {
		node
		owner node
		spec  object
	}{
		{node: task, spec: object{
			"agentRef": object{"name": "manager"},
			"input":    object{"message": "add 2 and 3"},
		}},
		{node: node{"TaskRun", "delegate-run"}, owner: task, spec: object{
			"taskRef":  object{"name": "delegate"},
			"agentRef": object{"name": "manager"},
			"input":    object{"message": "add 2 and 3"},
		}},
		{node: node{"TaskRunToolCall", "delegate-run-1-0"}, owner: node{"TaskRun", "delegate-run"}, spec: object{
			"taskRunRef": object{"name": "delegate-run"},
			"toolRef":    object{"name": "delegate-to-calculator"},
			"toolCallId": "call-1",
			"arguments":  `{"message":"add 2 and 3"}`,
			"round":      1,
			"index":      0,
			"tool":       object{"name": "delegate-to-calculator", "type": "delegateToAgent", "agentRef": object{"name": "calculator"}},
		}},
		{node: node{"TaskRun", "delegate-run-1-0"}, owner: node{"TaskRunToolCall", "delegate-run-1-0"}, spec: object{
			"taskRunToolCallRef": object{"name": "delegate-run-1-0"},
			"agentRef":           object{"name": "calculator"},
			"input":              object{"message": "add 2 and 3"},
			"delegationDepth":    1,
		}},
	}

	uids := map[node]any{}
	for _, n := range tree {
		meta := object{"name": n.name, "namespace": ns}
		if n.owner != (node{}) {
			meta["ownerReferences"] = []object{{
				"apiVersion":         v1alpha1.APIVersion,
				"kind":               n.owner.kind,
				"name":               n.owner.name,
				"uid":                uids[n.owner],
				"controller":         true,
				"blockOwnerDeletion": true,
			}}
		}
		obj := object{"apiVersion": v1alpha1.APIVersion, "kind": n.kind, "metadata": meta, "spec": n.spec}
		created := mustDo(t, c, http.StatusCreated, http.MethodPost, resourcePath(n.kind, ns, ""), obj)
		uids[n.node] = created["metadata"].(object)["uid"]
	}

	// The garbage collector watches kinds that appear after it started (our
	// CRDs) only from its next discovery sync on. Until then a deleted owner
	// would leave its tree alone for a while, and a tree with broken owner
	// references would look cascaded once the collector wakes. So first wait
	// until it deletes an orphan, then check the tree is still whole.
	orphan := object{"apiVersion": v1alpha1.APIVersion, "kind": "TaskRun", "metadata": object{
		"name": "orphan", "namespace": ns,
		"ownerReferences": []object{{
			"apiVersion": v1alpha1.APIVersion, "kind": "Task", "name": "gone",
			"uid": "00000000-0000-0000-0000-00000000dead", "controller": true, "blockOwnerDeletion": true,
		}},
	}, "spec": tree[1].spec}
	mustDo(t, c, http.StatusCreated, http.MethodPost, resourcePath("TaskRun", ns, ""), orphan)
	began := time.Now()
	waitUntil(t, gcTimeout, "the garbage collector deletes a TaskRun whose owner does not exist", func() (bool, string) {
		code, resp := do(t, c, http.MethodGet, resourcePath("TaskRun", ns, "orphan"), nil)
		return code == http.StatusNotFound, fmt.Sprintf("GET answered %d: %v", code, resp["message"])
	})
	t.Logf("garbage collector active for kubechain kinds after %s", time.Since(began).Round(time.Millisecond))
	for _, n := range tree {
		got := mustDo(t, c, http.StatusOK, http.MethodGet, resourcePath(n.kind, ns, n.name), nil)
		require.Equal(t, uids[n.node], got["metadata"].(object)["uid"], "%s/%s was replaced", n.kind, n.name)
	}

	began = time.Now()
	mustDo(t, c, http.StatusOK, http.MethodDelete, resourcePath(task.kind, ns, task.name),
		object{"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"})

	waitUntil(t, gcTimeout, "the Task's whole tree is deleted", func() (bool, string) {
		var left []string
		for _, n := range tree {
			code, resp := do(t, c, http.MethodGet, resourcePath(n.kind, ns, n.name), nil)
			switch code {
			case http.StatusNotFound:
			case http.StatusOK:
				// A recreated object of the same name is not the one we made.
				if resp["metadata"].(object)["uid"] == uids[n.node] {
					left = append(left, n.kind+"/"+n.name)
				}
			default:
				left = append(left, fmt.Sprintf("%s/%s (GET answered %d: %v)", n.kind, n.name, code, resp["message"]))
			}
		}
		return len(left) == 0, "still there: " + strings.Join(left, ", ")
	})
	t.Logf("cascade done %s after deleting the Task", time.Since(began).Round(time.Millisecond))
}
