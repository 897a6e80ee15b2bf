package runner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// t0 is where every test clock starts.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const toyAPI = "toy.example.com/v1"

// toyResources is the resource table of the toy controllers in testdata.
var toyResources = []Resource{
	{Kind: "Parent", Resource: "parents", APIVersion: toyAPI},
	{Kind: "Child", Resource: "children", APIVersion: toyAPI},
	{Kind: "Gadget", Resource: "gadgets", APIVersion: toyAPI},
	{Kind: "Simple", Resource: "simples", APIVersion: toyAPI},
	{Kind: "Task", Resource: "tasks", APIVersion: toyAPI},
	{Kind: "Run", Resource: "runs", APIVersion: toyAPI},
	{Kind: "Call", Resource: "calls", APIVersion: toyAPI},
	{Kind: "Slow", Resource: "slows", APIVersion: toyAPI},
	{Kind: "ConfigMap", Resource: "configmaps", APIVersion: "v1"},
	{Kind: "Secret", Resource: "secrets", APIVersion: "v1"},
	{Kind: "Greeting", Resource: "greetings", APIVersion: "smoke.example.com/v1"},
}

// hookRequest is a decoded hook request, as a toy hook sees it.
type hookRequest struct {
	Controller map[string]any               `json:"controller"`
	Parent     Object                       `json:"parent"`
	Children   map[string]map[string]Object `json:"children"`
	Related    map[string]map[string]Object `json:"related"`
	Finalizing bool                         `json:"finalizing"`
	// Ctx is the HTTP request's context (cancelled on timeout).
	Ctx context.Context `json:"-"`
}

// children returns the names of the observed children of one group.
func (r hookRequest) children(key string) []string {
	return sortedKeys(r.Children[key])
}

// hookReply is what a toy hook answers: Body is JSON-encoded unless it is a string.
type hookReply struct {
	Code   int
	Header map[string]string
	Body   any
}

func ok(body any) hookReply { return hookReply{Code: http.StatusOK, Body: body} }

// call is one recorded hook call.
type call struct {
	Path   string
	Method string
	Header http.Header
	Body   []byte
	Req    hookRequest
	At     time.Time // the virtual clock when the hook ran
}

// toyHooks serves toy hooks by path and records every call.
type toyHooks struct {
	clock  *Clock
	routes map[string]func(hookRequest) hookReply

	mu    sync.Mutex
	calls []call
}

func (h *toyHooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req hookRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Ctx = r.Context()
	h.mu.Lock()
	h.calls = append(h.calls, call{Path: r.URL.Path, Method: r.Method, Header: r.Header.Clone(), Body: body, Req: req, At: h.clock.Now()})
	h.mu.Unlock()
	route, found := h.routes[r.URL.Path]
	if !found {
		http.NotFound(w, r)
		return
	}
	reply := route(req)
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	var out []byte
	if s, isString := reply.Body.(string); isString {
		out = []byte(s)
	} else {
		out, _ = json.Marshal(reply.Body)
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(reply.Code)
	_, _ = w.Write(out)
}

// callsTo returns the recorded calls of one path.
func (h *toyHooks) callsTo(path string) []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []call
	for _, c := range h.calls {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// newToyRunner returns a runner over the named testdata controllers, with
// toy hooks on a clock starting at t0. edit may change the options.
func newToyRunner(t *testing.T, names []string, routes map[string]func(hookRequest) hookReply, edit func(*Options)) (*Runner, *toyHooks, *[]Event) {
	t.Helper()
	all, err := LoadControllers("testdata/controllers")
	require.NoError(t, err)
	var ctls []Controller
	for _, c := range all {
		if slices.Contains(names, c.Name) {
			ctls = append(ctls, c)
		}
	}
	require.Len(t, ctls, len(names))
	clock := NewClock(t0)
	hooks := &toyHooks{clock: clock, routes: routes}
	var (
		mu     sync.Mutex
		events []Event
	)
	opts := Options{
		Controllers: ctls,
		Hooks:       hooks,
		Resources:   toyResources,
		Clock:       clock,
		Logger:      slog.New(slog.DiscardHandler),
		OnEvent: func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
		},
	}
	if edit != nil {
		edit(&opts)
	}
	r, err := New(opts)
	require.NoError(t, err)
	return r, hooks, &events
}

// run runs r until quiet, failing the test on an error.
func run(t *testing.T, r *Runner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, r.Run(ctx, nil))
}

// obj builds an object in the default namespace.
func obj(apiVersion, kind, name string, fields map[string]any) Object {
	o := Object{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name}}
	for k, v := range fields {
		o[k] = v
	}
	return o
}

// child builds a desired child for a hook response.
func child(apiVersion, kind, name string, fields map[string]any) map[string]any {
	return obj(apiVersion, kind, name, fields)
}

// mustGet returns an object that must exist.
func mustGet(t *testing.T, r *Runner, kind, name string) Object {
	t.Helper()
	o, found := r.Get(kind, "default", name)
	require.True(t, found, "%s %s not found", kind, name)
	return o
}

// specInt reads an integer spec field of a request's parent.
func specInt(o Object, field string) int {
	spec, _ := o["spec"].(map[string]any)
	f, _ := spec[field].(float64)
	return int(f)
}

func eventsOf(events []Event, typ EventType) []Event {
	var out []Event
	for _, e := range events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}
