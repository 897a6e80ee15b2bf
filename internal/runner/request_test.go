package runner

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorded is one request captured from the real Metacontroller.
type recorded struct {
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

func loadRecorded(t *testing.T, name string) (recorded, hookRequest) {
	t.Helper()
	data, err := os.ReadFile("testdata/greeting/" + name)
	require.NoError(t, err)
	var rec recorded
	require.NoError(t, json.Unmarshal(data, &rec))
	var req hookRequest
	require.NoError(t, json.Unmarshal(rec.Body, &req))
	return rec, req
}

// TestRequestsMatchTheRecordedMetacontroller replays the recorded Greeting
// run (shared/metacontroller/recorded) and compares our requests with the
// real ones.
func TestRequestsMatchTheRecordedMetacontroller(t *testing.T) {
	data, err := os.ReadFile("testdata/greeting/compositecontroller.yaml")
	require.NoError(t, err)
	ctls, err := ParseControllers([]byte(strings.ReplaceAll(string(data), "PORT", "55473")))
	require.NoError(t, err)
	routes := map[string]func(hookRequest) hookReply{
		"/customize/greeting": func(hookRequest) hookReply {
			return ok(map[string]any{"relatedResources": []any{map[string]any{"apiVersion": "v1", "resource": "secrets", "names": []any{"openai"}}}})
		},
		"/sync/greeting": func(req hookRequest) hookReply {
			msg := req.Parent["spec"].(map[string]any)["message"]
			return ok(map[string]any{
				"status":   map[string]any{"phase": "Ready"},
				"children": []any{child("v1", "ConfigMap", req.Parent.Name()+"-child", map[string]any{"data": map[string]any{"msg": msg}})},
			})
		},
	}
	clock := NewClock(t0)
	hooks := &toyHooks{clock: clock, routes: routes}
	r, err := New(Options{Controllers: ctls, Hooks: hooks, Resources: toyResources, Clock: clock})
	require.NoError(t, err)
	require.NoError(t, r.Apply(
		obj("v1", "Secret", "openai", map[string]any{"type": "Opaque", "data": map[string]any{"OPENAI_API_KEY": "c2stcmVjb3JkZWQtZHVtbXk="}}),
		obj("smoke.example.com/v1", "Greeting", "hello", map[string]any{"spec": map[string]any{"message": "hi"}}),
	))
	run(t, r)

	rec1, want1 := loadRecorded(t, "001-sync-greeting.json")
	rec2, want2 := loadRecorded(t, "002-sync-greeting.json")
	syncs := hooks.callsTo("/sync/greeting")
	require.GreaterOrEqual(t, len(syncs), 2)
	got1, got2 := syncs[0], syncs[1]

	t.Run("transport", func(t *testing.T) {
		assert.Equal(t, rec1.Path, got1.Path)
		assert.Equal(t, "POST", got1.Method)
		for _, h := range []string{"Content-Type", "Accept-Encoding", "User-Agent"} {
			assert.Equal(t, rec1.Headers[h], got1.Header.Get(h), h)
		}
	})
	t.Run("top-level shape", func(t *testing.T) {
		assert.Equal(t, topLevelKeys(t, rec1.Body), topLevelKeys(t, got1.Body))
		assert.Equal(t, []string{"controller", "parent", "children", "related", "finalizing"}, topLevelKeys(t, got1.Body))
	})
	t.Run("first sync groups", func(t *testing.T) {
		assert.Equal(t, want1.Children, got1.Req.Children, `{"ConfigMap.v1": {}}`)
		assert.Equal(t, sortedKeys(want1.Related), sortedKeys(got1.Req.Related))
		assert.Equal(t, want1.relatedNames("Secret.v1"), got1.Req.relatedNames("Secret.v1"))
		assert.Equal(t, want1.Finalizing, got1.Req.Finalizing)
	})
	t.Run("controller", func(t *testing.T) {
		assert.Equal(t, want1.Controller["spec"], got1.Req.Controller["spec"])
		assert.Equal(t, want1.Controller["status"], got1.Req.Controller["status"])
		assert.Equal(t, want1.Controller["kind"], got1.Req.Controller["kind"])
	})
	t.Run("parent metadata", func(t *testing.T) {
		wantKeys := sortedKeys(want1.Parent.meta())
		for _, k := range sortedKeys(got1.Req.Parent.meta()) {
			assert.Contains(t, wantKeys, k)
		}
		assert.Nil(t, got1.Req.Parent.Status(), "no status before the first write")
		assert.Equal(t, want2.Parent.Status(), got2.Req.Parent.Status(), "status after the first write")
	})
	t.Run("child", func(t *testing.T) {
		require.Equal(t, rec2.Path, got2.Path)
		wantChild := want2.Children["ConfigMap.v1"]["hello-child"]
		gotChild := got2.Req.Children["ConfigMap.v1"]["hello-child"]
		require.NotNil(t, gotChild)
		wantMeta := wantChild.meta()
		delete(wantMeta, "managedFields")
		assert.Equal(t, sortedKeys(wantMeta), sortedKeys(gotChild.meta()))
		// Replace the recorded parent uid by ours: the rest must be identical.
		swap := func(s string) string { return strings.ReplaceAll(s, want2.Parent.UID(), got2.Req.Parent.UID()) }
		assert.Equal(t, swap(wantChild.Annotations()[annotationLastApplied]), gotChild.Annotations()[annotationLastApplied])
		wantRefs, err := json.Marshal(wantMeta["ownerReferences"])
		require.NoError(t, err)
		gotRefs, err := json.Marshal(gotChild.meta()["ownerReferences"])
		require.NoError(t, err)
		assert.JSONEq(t, swap(string(wantRefs)), string(gotRefs))
		assert.Equal(t, map[string]string{"controller-uid": got2.Req.Parent.UID()}, gotChild.Labels())
		assert.Equal(t, wantChild["data"], gotChild["data"])
	})
}
