package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const keyChild = "Child." + toyAPI

// countingHook is a sync hook for Simple parents: spec.count children
// child-0.., status {count: observed children}.
func countingHook(req hookRequest) hookReply {
	n := specInt(req.Parent, "count")
	var children []any
	for i := range n {
		children = append(children, child(toyAPI, "Child", fmt.Sprintf("%s-%d", req.Parent.Name(), i), map[string]any{"spec": map[string]any{"index": i}}))
	}
	return ok(map[string]any{"status": map[string]any{"count": len(req.Children[keyChild])}, "children": children})
}

func TestSyncCreatesChildrenAndReportsStatus(t *testing.T) {
	r, hooks, _ := newToyRunner(t, []string{"toy-simple"}, map[string]func(hookRequest) hookReply{"/sync/simple": countingHook}, nil)
	require.NoError(t, r.Apply(obj(toyAPI, "Simple", "s", map[string]any{"spec": map[string]any{"count": 2}})))
	run(t, r)

	parent := mustGet(t, r, "Simple", "s")
	assert.Equal(t, map[string]any{"count": float64(2), "observedGeneration": float64(1)}, parent.Status())
	children := r.List("Child")
	require.Len(t, children, 2)
	for i, c := range children {
		assert.Equal(t, fmt.Sprintf("s-%d", i), c.Name())
		assert.Equal(t, "default", c.Namespace())
		assert.Equal(t, map[string]string{"controller-uid": parent.UID()}, c.Labels())
		assert.Equal(t, []any{map[string]any{
			"apiVersion": toyAPI, "kind": "Simple", "name": "s", "uid": parent.UID(),
			"controller": true, "blockOwnerDeletion": true,
		}}, c.meta()["ownerReferences"])
		wantApplied := fmt.Sprintf(`{"apiVersion":"%s","kind":"Child","metadata":{"labels":{"controller-uid":"%s"},"name":"s-%d","namespace":"default"},"spec":{"index":%d}}`, toyAPI, parent.UID(), i, i)
		assert.Equal(t, wantApplied, c.Annotations()[annotationLastApplied])
		assert.Equal(t, float64(1), c.meta()["generation"])
	}
	// Without a customize hook, related is {}; every declared child type is present.
	first := hooks.callsTo("/sync/simple")[0].Req
	assert.Equal(t, map[string]map[string]Object{}, first.Related)
	assert.Equal(t, map[string]map[string]Object{keyChild: {}}, first.Children)
}

func TestChildrenNoLongerReturnedAreDeletedAndObservedGenerationFollows(t *testing.T) {
	r, _, events := newToyRunner(t, []string{"toy-simple"}, map[string]func(hookRequest) hookReply{"/sync/simple": countingHook}, nil)
	require.NoError(t, r.Apply(obj(toyAPI, "Simple", "s", map[string]any{"spec": map[string]any{"count": 3}})))
	run(t, r)
	require.Len(t, r.List("Child"), 3)

	require.NoError(t, r.Apply(obj(toyAPI, "Simple", "s", map[string]any{"spec": map[string]any{"count": 1}})))
	run(t, r)

	parent := mustGet(t, r, "Simple", "s")
	assert.Equal(t, float64(2), parent.meta()["generation"])
	assert.Equal(t, map[string]any{"count": float64(1), "observedGeneration": float64(2)}, parent.Status())
	var names []string
	for _, c := range r.List("Child") {
		names = append(names, c.Name())
	}
	assert.Equal(t, []string{"s-0"}, names)
	var deleted []string
	for _, e := range eventsOf(*events, EventChildDeleted) {
		deleted = append(deleted, e.Name)
	}
	assert.Equal(t, []string{"s-1", "s-2"}, deleted)
}

func TestApplyBumpsGenerationOnlyForSpecChanges(t *testing.T) {
	r, _, _ := newToyRunner(t, nil, nil, nil)
	tests := []struct {
		name    string
		obj     Object
		wantGen float64
	}{
		{name: "create", obj: obj(toyAPI, "Simple", "g", map[string]any{"spec": map[string]any{"count": 1}}), wantGen: 1},
		{name: "same again", obj: obj(toyAPI, "Simple", "g", map[string]any{"spec": map[string]any{"count": 1}}), wantGen: 1},
		{name: "labels only", obj: Object{"apiVersion": toyAPI, "kind": "Simple", "metadata": map[string]any{"name": "g", "labels": map[string]any{"a": "b"}}, "spec": map[string]any{"count": 1}}, wantGen: 1},
		{name: "spec change", obj: obj(toyAPI, "Simple", "g", map[string]any{"spec": map[string]any{"count": 2}}), wantGen: 2},
		{name: "status is ignored", obj: obj(toyAPI, "Simple", "g", map[string]any{"spec": map[string]any{"count": 2}, "status": map[string]any{"x": 1}}), wantGen: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, r.Apply(tt.obj))
			got := mustGet(t, r, "Simple", "g")
			assert.Equal(t, tt.wantGen, got.meta()["generation"])
			assert.Nil(t, got.Status())
			assert.Equal(t, "00000000-0000-4000-8000-000000000001", got.UID())
			assert.Equal(t, t0.Format(time.RFC3339), got.meta()["creationTimestamp"])
		})
	}
	assert.ErrorContains(t, r.Apply(obj("other.example.com/v1", "Simple", "x", nil)), "not in Options.Resources")
}

func TestFirstCreateWins(t *testing.T) {
	// Two parents want a child of the same name: the first created stays, the
	// second create fails with AlreadyExists and is ignored.
	sharedHook := func(req hookRequest) hookReply {
		return ok(map[string]any{
			"status":   map[string]any{"owns": len(req.Children[keyChild])},
			"children": []any{child(toyAPI, "Child", "shared", map[string]any{"spec": map[string]any{"owner": req.Parent.Name()}})},
		})
	}
	r, _, _ := newToyRunner(t, []string{"toy-simple"}, map[string]func(hookRequest) hookReply{"/sync/simple": sharedHook},
		func(o *Options) { o.Workers = 1 })
	require.NoError(t, r.Apply(obj(toyAPI, "Simple", "a", nil), obj(toyAPI, "Simple", "b", nil)))
	run(t, r)

	shared := mustGet(t, r, "Child", "shared")
	assert.Equal(t, map[string]any{"owner": "a"}, shared["spec"])
	assert.Equal(t, float64(1), mustGet(t, r, "Simple", "a").Status()["owns"])
	assert.Equal(t, float64(0), mustGet(t, r, "Simple", "b").Status()["owns"], "b never observes a child it does not own")
}

func TestUpdateStrategies(t *testing.T) {
	// The parent's spec.value goes into one child of each update strategy.
	hook := func(req hookRequest) hookReply {
		v, _ := req.Parent["spec"].(map[string]any)["value"].(string)
		data := map[string]any{"value": v}
		if v == "v1" {
			data["extra"] = "dropped later"
		}
		return ok(map[string]any{"children": []any{
			child(toyAPI, "Child", "on-delete", map[string]any{"spec": map[string]any{"value": v}}),
			child("v1", "ConfigMap", "in-place", map[string]any{"data": data}),
			child(toyAPI, "Gadget", "recreate", map[string]any{"spec": map[string]any{"value": v}}),
		}})
	}
	customize := func(hookRequest) hookReply { return ok(map[string]any{}) }
	r, _, events := newToyRunner(t, []string{"toy-parent"}, map[string]func(hookRequest) hookReply{"/sync/parent": hook, "/customize/parent": customize}, nil)
	require.NoError(t, r.Apply(obj(toyAPI, "Parent", "p", map[string]any{"spec": map[string]any{"value": "v1"}})))
	run(t, r)
	before := map[string]Object{
		"Child":     mustGet(t, r, "Child", "on-delete"),
		"ConfigMap": mustGet(t, r, "ConfigMap", "in-place"),
		"Gadget":    mustGet(t, r, "Gadget", "recreate"),
	}
	require.Equal(t, map[string]any{"value": "v1", "extra": "dropped later"}, before["ConfigMap"]["data"])

	require.NoError(t, r.Apply(obj(toyAPI, "Parent", "p", map[string]any{"spec": map[string]any{"value": "v2"}})))
	run(t, r)

	tests := []struct {
		kind, name string
		field      string
		want       any
		sameUID    bool
	}{
		{kind: "Child", name: "on-delete", field: "spec", want: map[string]any{"value": "v1"}, sameUID: true},
		{kind: "ConfigMap", name: "in-place", field: "data", want: map[string]any{"value": "v2"}, sameUID: true},
		{kind: "Gadget", name: "recreate", field: "spec", want: map[string]any{"value": "v2"}, sameUID: false},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			got := mustGet(t, r, tt.kind, tt.name)
			assert.Equal(t, tt.want, got[tt.field])
			assert.Equal(t, tt.sameUID, got.UID() == before[tt.kind].UID())
		})
	}
	assert.Len(t, eventsOf(*events, EventChildUpdated), 1)
	cm := mustGet(t, r, "ConfigMap", "in-place")
	assert.Contains(t, cm.Annotations()[annotationLastApplied], `"data":{"value":"v2"}`)
}

func TestResyncAfterSecondsRunsOnTheVirtualClock(t *testing.T) {
	var clock *Clock
	hook := func(req hookRequest) hookReply {
		if clock.Now().Before(t0.Add(90 * time.Second)) {
			return ok(map[string]any{"status": map[string]any{"phase": "Waiting"}, "resyncAfterSeconds": 30})
		}
		return ok(map[string]any{"status": map[string]any{"phase": "Done"}})
	}
	r, hooks, _ := newToyRunner(t, []string{"toy-slow"}, map[string]func(hookRequest) hookReply{"/sync/slow": hook}, nil)
	clock = r.Clock()
	require.NoError(t, r.Apply(obj(toyAPI, "Slow", "w", nil)))
	start := time.Now()
	run(t, r)

	assert.Less(t, time.Since(start), 10*time.Second, "no real waiting")
	assert.Equal(t, "Done", mustGet(t, r, "Slow", "w").Status()["phase"])
	var at []time.Duration
	for _, c := range hooks.callsTo("/sync/slow") {
		at = append(at, c.At.Sub(t0))
	}
	// Create; the status write; three resyncs; the final status write.
	assert.Equal(t, []time.Duration{0, 0, 30 * time.Second, 60 * time.Second, 90 * time.Second, 90 * time.Second}, at)
	assert.Equal(t, t0.Add(90*time.Second), clock.Now())
}

func TestHookFailuresAreRetried(t *testing.T) {
	tests := []struct {
		name       string
		failure    func(req hookRequest) hookReply
		wantAt     []time.Duration // virtual times of the calls, the last succeeding
		wantCode   int
		wantReason string
	}{
		{
			name:       "500 backs off exponentially",
			failure:    func(hookRequest) hookReply { return hookReply{Code: 500, Body: "boom\n"} },
			wantAt:     []time.Duration{0, 5 * time.Millisecond, 15 * time.Millisecond, 35 * time.Millisecond},
			wantCode:   500,
			wantReason: "boom",
		},
		{
			name:       "bad JSON backs off",
			failure:    func(hookRequest) hookReply { return hookReply{Code: 200, Body: "{"} },
			wantAt:     []time.Duration{0, 5 * time.Millisecond, 15 * time.Millisecond, 35 * time.Millisecond},
			wantCode:   200,
			wantReason: "can't unmarshal hook response",
		},
		{
			name: "timeout backs off",
			failure: func(req hookRequest) hookReply {
				<-req.Ctx.Done() // the toy-slow timeout is 50ms of real time
				return hookReply{Code: 500, Body: "too late"}
			},
			wantAt:     []time.Duration{0, 5 * time.Millisecond, 15 * time.Millisecond, 35 * time.Millisecond},
			wantReason: "http error: timeout after 50ms",
		},
		{
			name: "429 waits Retry-After seconds",
			failure: func(hookRequest) hookReply {
				return hookReply{Code: 429, Header: map[string]string{"Retry-After": "7"}, Body: "rate limited"}
			},
			wantAt:     []time.Duration{0, 7 * time.Second, 14 * time.Second, 21 * time.Second},
			wantCode:   429,
			wantReason: "rate limited",
		},
		{
			name: "429 with an HTTP date",
			failure: func(hookRequest) hookReply {
				return hookReply{Code: 429, Header: map[string]string{"Retry-After": t0.Add(20 * time.Second).Format(http.TimeFormat)}, Body: "later"}
			},
			wantAt:     []time.Duration{0, 20 * time.Second, 20 * time.Second, 20 * time.Second},
			wantCode:   429,
			wantReason: "later",
		},
		{
			name:       "429 without Retry-After retries at once",
			failure:    func(hookRequest) hookReply { return hookReply{Code: 429, Body: "busy"} },
			wantAt:     []time.Duration{0, 0, 0, 0},
			wantCode:   429,
			wantReason: "busy",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			hook := func(req hookRequest) hookReply {
				mu.Lock()
				calls++
				n := calls
				mu.Unlock()
				if n <= 3 {
					return tt.failure(req)
				}
				return ok(map[string]any{"status": map[string]any{"phase": "Ready"}})
			}
			r, hooks, events := newToyRunner(t, []string{"toy-slow"}, map[string]func(hookRequest) hookReply{"/sync/slow": hook}, nil)
			require.NoError(t, r.Apply(obj(toyAPI, "Slow", "f", nil)))
			run(t, r)

			assert.Equal(t, "Ready", mustGet(t, r, "Slow", "f").Status()["phase"])
			calls4 := hooks.callsTo("/sync/slow")
			require.GreaterOrEqual(t, len(calls4), 4)
			var at []time.Duration
			for _, c := range calls4[:4] {
				at = append(at, c.At.Sub(t0))
			}
			assert.Equal(t, tt.wantAt, at)
			failures := eventsOf(*events, EventSyncError)
			require.Len(t, failures, 3)
			for _, e := range failures {
				assert.Equal(t, "/sync/slow", e.Path)
				assert.Equal(t, tt.wantCode, e.Code)
				assert.Contains(t, e.Reason, tt.wantReason)
				assert.Equal(t, "Slow", e.Kind)
				assert.Equal(t, "f", e.Name)
			}
			assert.Equal(t, 3, r.Stats().HookErrors)
		})
	}
}

func TestBackoffIsCappedAndResetBySuccess(t *testing.T) {
	q := newQueue(1)
	k := queueKey{name: "x"}
	var got []time.Duration
	for range 20 {
		got = append(got, q.backoff(k))
	}
	assert.Equal(t, []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}, got[:3])
	assert.Equal(t, 1000*time.Second, got[19])
	q.forget(k)
	assert.Equal(t, 5*time.Millisecond, q.backoff(k))
}

func TestCustomizeRelatedObjects(t *testing.T) {
	const keySecret = "Secret.v1"
	secret := func(name, ns, token string, labels map[string]any) Object {
		o := obj("v1", "Secret", name, map[string]any{"data": map[string]any{"token": token}})
		o["metadata"].(map[string]any)["namespace"] = ns
		if labels != nil {
			o["metadata"].(map[string]any)["labels"] = labels
		}
		return o
	}
	tests := []struct {
		name      string
		rule      map[string]any
		wantNames []string
	}{
		{name: "by names", rule: map[string]any{"names": []any{"creds", "missing"}}, wantNames: []string{"creds"}},
		{name: "by label selector", rule: map[string]any{"labelSelector": map[string]any{"matchLabels": map[string]any{"app": "toy"}}}, wantNames: []string{"creds"}},
		{name: "by match expressions", rule: map[string]any{"labelSelector": map[string]any{"matchExpressions": []any{map[string]any{"key": "app", "operator": "Exists"}}}}, wantNames: []string{"creds", "other-app"}},
		{name: "empty selector matches the whole namespace", rule: map[string]any{"labelSelector": map[string]any{}}, wantNames: []string{"creds", "other-app", "unlabelled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			customize := func(hookRequest) hookReply {
				rule := map[string]any{"apiVersion": "v1", "resource": "secrets"}
				for k, v := range tt.rule {
					rule[k] = v
				}
				return ok(map[string]any{"relatedResources": []any{rule}})
			}
			sync := func(req hookRequest) hookReply {
				tokens := map[string]any{}
				for name, s := range req.Related[keySecret] {
					tokens[name] = s["data"].(map[string]any)["token"]
				}
				return ok(map[string]any{"status": map[string]any{"tokens": tokens}})
			}
			r, hooks, _ := newToyRunner(t, []string{"toy-parent"}, map[string]func(hookRequest) hookReply{"/sync/parent": sync, "/customize/parent": customize}, nil)
			require.NoError(t, r.Apply(
				secret("creds", "default", "YQ==", map[string]any{"app": "toy"}),
				secret("other-app", "default", "Yg==", map[string]any{"app": "else"}),
				secret("unlabelled", "default", "Yw==", nil),
				secret("creds", "elsewhere", "ZA==", map[string]any{"app": "toy"}),
				obj(toyAPI, "Parent", "p", nil),
			))
			run(t, r)

			syncs := hooks.callsTo("/sync/parent")
			require.NotEmpty(t, syncs)
			assert.Equal(t, tt.wantNames, syncs[len(syncs)-1].Req.relatedNames(keySecret))
			assert.Equal(t, "YQ==", mustGet(t, r, "Parent", "p").Status()["tokens"].(map[string]any)["creds"])

			// A change to a related object re-syncs the parent; customize is not asked again.
			n := len(syncs)
			require.NoError(t, r.Apply(secret("creds", "default", "eg==", map[string]any{"app": "toy"})))
			run(t, r)
			assert.Greater(t, len(hooks.callsTo("/sync/parent")), n)
			assert.Equal(t, "eg==", mustGet(t, r, "Parent", "p").Status()["tokens"].(map[string]any)["creds"])

			// A change to an unrelated object does not.
			n = len(hooks.callsTo("/sync/parent"))
			require.NoError(t, r.Apply(secret("creds", "elsewhere", "eA==", nil)))
			run(t, r)
			assert.Len(t, hooks.callsTo("/sync/parent"), n)

			// Customize is called once per parent uid and generation.
			assert.Len(t, hooks.callsTo("/customize/parent"), 1)
			require.NoError(t, r.Apply(obj(toyAPI, "Parent", "p", map[string]any{"spec": map[string]any{"v": 2}})))
			run(t, r)
			assert.Len(t, hooks.callsTo("/customize/parent"), 2)
			custom := hooks.callsTo("/customize/parent")[1]
			assert.Equal(t, []string{"controller", "parent"}, topLevelKeys(t, custom.Body))
		})
	}
}

// relatedNames returns the names of related objects of one group.
func (r hookRequest) relatedNames(key string) []string { return sortedKeys(r.Related[key]) }

// nestedRoutes are toy hooks for Task -> Run -> Call -> Run: a Run at depth
// 0 asks a Call for help, the Call starts a Run at depth 1, which is Done;
// each parent reports its child's phase.
func nestedRoutes() map[string]func(hookRequest) hookReply {
	phaseOf := func(children map[string]Object) string {
		for _, c := range children {
			if p, _ := c.Status()["phase"].(string); p != "" {
				return p
			}
		}
		return "Pending"
	}
	runKey, callKey := "Run."+toyAPI, "Call."+toyAPI
	return map[string]func(hookRequest) hookReply{
		"/sync/task": func(req hookRequest) hookReply {
			return ok(map[string]any{
				"status":   map[string]any{"phase": phaseOf(req.Children[runKey])},
				"children": []any{child(toyAPI, "Run", req.Parent.Name()+"-run", map[string]any{"spec": map[string]any{"depth": 0}})},
			})
		},
		"/sync/run": func(req hookRequest) hookReply {
			depth := specInt(req.Parent, "depth")
			if depth >= 1 {
				return ok(map[string]any{"status": map[string]any{"phase": "Done"}})
			}
			return ok(map[string]any{
				"status":   map[string]any{"phase": phaseOf(req.Children[callKey])},
				"children": []any{child(toyAPI, "Call", req.Parent.Name()+"-call", map[string]any{"spec": map[string]any{"depth": depth}})},
			})
		},
		"/sync/call": func(req hookRequest) hookReply {
			return ok(map[string]any{
				"status":   map[string]any{"phase": phaseOf(req.Children[runKey])},
				"children": []any{child(toyAPI, "Run", req.Parent.Name()+"-run", map[string]any{"spec": map[string]any{"depth": specInt(req.Parent, "depth") + 1}})},
			})
		},
	}
}

func TestNestedControllersPropagateStatusAndCascadeDelete(t *testing.T) {
	r, hooks, events := newToyRunner(t, []string{"toy-task", "toy-run", "toy-call"}, nestedRoutes(), nil)
	require.NoError(t, r.Apply(obj(toyAPI, "Task", "t", nil)))
	run(t, r)

	task := mustGet(t, r, "Task", "t")
	assert.Equal(t, "Done", task.Status()["phase"])
	run0, call := mustGet(t, r, "Run", "t-run"), mustGet(t, r, "Call", "t-run-call")
	run1 := mustGet(t, r, "Run", "t-run-call-run")
	assert.Equal(t, "Done", run0.Status()["phase"])
	assert.Equal(t, "Done", call.Status()["phase"])
	assert.Equal(t, task.UID(), run0.Labels()["controller-uid"])
	assert.Equal(t, run0.UID(), call.Labels()["controller-uid"])
	assert.Equal(t, call.UID(), run1.Labels()["controller-uid"])
	// Each controller only sees the Runs labelled with its own parent's uid.
	taskSyncs := hooks.callsTo("/sync/task")
	assert.Equal(t, []string{"t-run"}, taskSyncs[len(taskSyncs)-1].Req.children("Run."+toyAPI))

	require.NoError(t, r.Delete("Task", "default", "t"))
	for _, kind := range []string{"Task", "Run", "Call"} {
		assert.Empty(t, r.List(kind), kind)
	}
	var deleted []string
	for _, e := range eventsOf(*events, EventDeleted) {
		deleted = append(deleted, e.Kind+"/"+e.Name)
	}
	assert.Equal(t, []string{"Task/t", "Run/t-run", "Call/t-run-call", "Run/t-run-call-run"}, deleted)
	n := len(hooks.calls)
	run(t, r)
	assert.Len(t, hooks.calls, n, "nothing left to sync")
	assert.ErrorContains(t, r.Delete("Task", "default", "t"), "not found")
}

func TestDeletedChildIsRecreated(t *testing.T) {
	r, _, _ := newToyRunner(t, []string{"toy-simple"}, map[string]func(hookRequest) hookReply{"/sync/simple": countingHook}, nil)
	require.NoError(t, r.Apply(obj(toyAPI, "Simple", "s", map[string]any{"spec": map[string]any{"count": 1}})))
	run(t, r)
	old := mustGet(t, r, "Child", "s-0")

	require.NoError(t, r.Delete("Child", "default", "s-0"))
	run(t, r)
	recreated := mustGet(t, r, "Child", "s-0")
	assert.NotEqual(t, old.UID(), recreated.UID())
}

func TestStaleParentAndRepeatedCalls(t *testing.T) {
	// The hook creates one child and reports how many it saw.
	hook := func(req hookRequest) hookReply {
		return ok(map[string]any{
			"status":   map[string]any{"seen": len(req.Children[keyChild])},
			"children": []any{child(toyAPI, "Child", "c", nil)},
		})
	}
	r, hooks, events := newToyRunner(t, []string{"toy-simple"}, map[string]func(hookRequest) hookReply{"/sync/simple": hook},
		func(o *Options) { o.Stale = true })
	require.NoError(t, r.Apply(obj(toyAPI, "Simple", "s", nil)))
	run(t, r)

	calls := hooks.callsTo("/sync/simple")
	require.Len(t, calls, 6, "three syncs, each calling the hook twice")
	for i := 0; i < len(calls); i += 2 {
		assert.Equal(t, string(calls[i].Body), string(calls[i+1].Body), "repeated call %d", i/2)
	}
	// 1: the create: no child, no status.
	assert.Empty(t, calls[0].Req.children(keyChild))
	assert.Nil(t, calls[0].Req.Parent.Status())
	// 2: caused by the child's creation: the child is there but the parent is
	// stale, without the status {seen: 0} written just before.
	assert.Equal(t, []string{"c"}, calls[2].Req.children(keyChild))
	assert.Nil(t, calls[2].Req.Parent.Status())
	var written []string
	for _, e := range eventsOf(*events, EventStatusWritten) {
		written = append(written, string(e.Status))
	}
	assert.Equal(t, []string{`{"observedGeneration":1,"seen":0}`, `{"observedGeneration":1,"seen":1}`}, written,
		"sync 1 had written {seen: 0} before sync 2 read its stale parent")
	// 3: the informer caught up.
	assert.Equal(t, map[string]any{"seen": float64(1), "observedGeneration": float64(1)}, calls[4].Req.Parent.Status())
	assert.Equal(t, map[string]any{"seen": float64(1), "observedGeneration": float64(1)}, mustGet(t, r, "Simple", "s").Status())
	// The repeated create was refused (AlreadyExists) and counted.
	assert.Equal(t, 2, r.Stats().ChildCreates)
}

func TestStatsCountAPIRequests(t *testing.T) {
	r, _, _ := newToyRunner(t, []string{"toy-simple"}, map[string]func(hookRequest) hookReply{"/sync/simple": countingHook},
		func(o *Options) { o.Workers = 1 })
	require.NoError(t, r.Apply(obj(toyAPI, "Simple", "s", map[string]any{"spec": map[string]any{"count": 2}})))
	run(t, r)
	// Sync 1: 2 creates, GET + write {count: 0}. Sync 2 (children and status
	// events, deduplicated): GET + write {count: 2}. Sync 3: GET, equal.
	assert.Equal(t, Stats{
		Syncs: 3, HookCalls: map[string]int{"/sync/simple": 3},
		ChildCreates: 2, StatusGets: 3, StatusWrites: 2, APIRequests: 7,
	}, r.Stats())

	require.NoError(t, r.Apply(obj(toyAPI, "Simple", "s", map[string]any{"spec": map[string]any{"count": 1}})))
	run(t, r)
	// Sync 4: 1 delete, GET + write {count: 2, observedGeneration: 2}.
	// Sync 5: GET + write {count: 1}. Sync 6: GET, equal.
	assert.Equal(t, Stats{
		Syncs: 6, HookCalls: map[string]int{"/sync/simple": 6},
		ChildCreates: 2, ChildDeletes: 1, StatusGets: 6, StatusWrites: 4, APIRequests: 13,
	}, r.Stats())
}

func TestRunStops(t *testing.T) {
	// A hook whose status changes on every sync loops forever.
	var mu sync.Mutex
	n := 0
	loop := func(hookRequest) hookReply {
		mu.Lock()
		defer mu.Unlock()
		n++
		return ok(map[string]any{"status": map[string]any{"n": n}})
	}
	tests := []struct {
		name    string
		edit    func(*Options)
		ctx     func() (context.Context, context.CancelFunc)
		until   func(*Runner) bool
		wantErr error
	}{
		{name: "at MaxSyncs", edit: func(o *Options) { o.MaxSyncs = 10 }, wantErr: ErrMaxSyncs},
		{name: "when until holds", until: func(r *Runner) bool { return r.Stats().Syncs >= 3 }},
		{name: "when ctx ends", ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := newToyRunner(t, []string{"toy-slow"}, map[string]func(hookRequest) hookReply{"/sync/slow": loop}, tt.edit)
			require.NoError(t, r.Apply(obj(toyAPI, "Slow", "l", nil)))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			err := r.Run(ctx, tt.until)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, 3, r.Stats().Syncs, "no sync starts once until holds")
				return
			}
			assert.True(t, errors.Is(err, tt.wantErr), "got %v", err)
		})
	}
}

func TestOneSyncAtATimePerParentAndParallelParents(t *testing.T) {
	const parents = 3
	var (
		mu       sync.Mutex
		inFlight = map[string]int{}
		maxPer   = map[string]int{}
		maxAll   int
		all      int
	)
	release := make(chan struct{})
	var once sync.Once
	hook := func(req hookRequest) hookReply {
		name := req.Parent.Name()
		mu.Lock()
		inFlight[name]++
		all++
		maxPer[name] = max(maxPer[name], inFlight[name])
		maxAll = max(maxAll, all)
		if all == parents {
			once.Do(func() { close(release) })
		}
		mu.Unlock()
		select { // the first syncs of all parents must be in flight together
		case <-release:
		case <-time.After(5 * time.Second):
		}
		mu.Lock()
		inFlight[name]--
		all--
		mu.Unlock()
		return countingHook(req)
	}
	r, _, _ := newToyRunner(t, []string{"toy-simple"}, map[string]func(hookRequest) hookReply{"/sync/simple": hook}, nil)
	for i := range parents {
		require.NoError(t, r.Apply(obj(toyAPI, "Simple", fmt.Sprintf("p%d", i), map[string]any{"spec": map[string]any{"count": 3}})))
	}
	run(t, r)

	assert.Equal(t, parents, maxAll, "different parents sync in parallel")
	for i := range parents {
		assert.Equal(t, 1, maxPer[fmt.Sprintf("p%d", i)], "one sync at a time per parent")
	}
	assert.Len(t, r.List("Child"), 3*parents)
}

// topLevelKeys returns the keys of a JSON object in document order.
func topLevelKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

func TestInvalidDesiredChildrenFailTheSync(t *testing.T) {
	tests := []struct {
		name       string
		child      map[string]any
		wantReason string
	}{
		{name: "undeclared type", child: child(toyAPI, "Gadget", "g", nil), wantReason: "not a declared child type"},
		{name: "no name", child: child(toyAPI, "Child", "", nil), wantReason: "needs apiVersion, kind and metadata.name"},
		{name: "another namespace", child: child(toyAPI, "Child", "c", map[string]any{"metadata": map[string]any{"name": "c", "namespace": "elsewhere"}}), wantReason: "not in the parent's namespace"},
		{name: "foreign controller-uid", child: child(toyAPI, "Child", "c", map[string]any{"metadata": map[string]any{"name": "c", "labels": map[string]any{"controller-uid": "other"}}}), wantReason: "labels don't match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook := func(hookRequest) hookReply {
				return ok(map[string]any{"status": map[string]any{"phase": "Ready"}, "children": []any{child(toyAPI, "Child", "fine", nil), tt.child}})
			}
			r, _, events := newToyRunner(t, []string{"toy-simple"}, map[string]func(hookRequest) hookReply{"/sync/simple": hook},
				func(o *Options) { o.MaxSyncs = 3 })
			require.NoError(t, r.Apply(obj(toyAPI, "Simple", "s", nil)))
			err := r.Run(context.Background(), nil)
			require.ErrorIs(t, err, ErrMaxSyncs, "retried with backoff")

			assert.Empty(t, r.List("Child"), "nothing applied")
			assert.Nil(t, mustGet(t, r, "Simple", "s").Status(), "no status written")
			failures := eventsOf(*events, EventSyncError)
			require.NotEmpty(t, failures)
			assert.Contains(t, failures[0].Reason, tt.wantReason)
			assert.Empty(t, failures[0].Path, "the hook answered; applying failed")
		})
	}
}

func TestHorizonLeavesLaterResyncsQueued(t *testing.T) {
	always := func(hookRequest) hookReply {
		return ok(map[string]any{"status": map[string]any{"phase": "Polling"}, "resyncAfterSeconds": 60})
	}
	r, hooks, _ := newToyRunner(t, []string{"toy-slow"}, map[string]func(hookRequest) hookReply{"/sync/slow": always},
		func(o *Options) { o.Horizon = 150 * time.Second })
	require.NoError(t, r.Apply(obj(toyAPI, "Slow", "p", nil)))
	run(t, r)
	// Create, status write, resyncs at 60 s and 120 s; the one at 180 s is past the horizon.
	assert.Len(t, hooks.callsTo("/sync/slow"), 4)
	assert.Equal(t, t0.Add(120*time.Second), r.Clock().Now())

	run(t, r) // the next Run picks the resync up
	assert.Equal(t, t0.Add(240*time.Second), r.Clock().Now())
	assert.Len(t, hooks.callsTo("/sync/slow"), 6)
}

func TestApplyDefaultsSecrets(t *testing.T) {
	r, _, _ := newToyRunner(t, nil, nil, nil)
	require.NoError(t, r.Apply(obj("v1", "Secret", "s", map[string]any{
		"stringData": map[string]any{"token": "abc"},
		"data":       map[string]any{"other": "eA=="},
	})))
	s := mustGet(t, r, "Secret", "s")
	assert.Equal(t, map[string]any{"token": "YWJj", "other": "eA=="}, s["data"])
	assert.Nil(t, s["stringData"])
	assert.Equal(t, "Opaque", s["type"])
	assert.Nil(t, s.meta()["generation"], "core objects have no generation")
}
