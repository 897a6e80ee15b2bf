package hooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/humanlayer/kubechain/hooks"
)

// echoReq and echoResp are a tiny typed hook for exercising the adapter.
type echoReq struct {
	Name string `json:"name"`
}

type echoResp struct {
	Greeting string `json:"greeting"`
}

// echoHook answers by name: special names make it fail in each way Serve maps.
func echoHook(_ context.Context, req *echoReq) (*echoResp, error) {
	switch req.Name {
	case "panic":
		panic("boom")
	case "ratelimited":
		return nil, hooks.RateLimited("provider rate limited us", 7*time.Second, errors.New("429 from provider"))
	case "ratelimited-short":
		return nil, hooks.RateLimited("provider rate limited us", 300*time.Millisecond, nil)
	case "invalid":
		return nil, hooks.Invalidf("parent %s has no spec", "x")
	case "error":
		return nil, errors.New("db password is hunter2")
	}
	return &echoResp{Greeting: "hello " + req.Name}, nil
}

// recordingObserver records every ObserveHook call.
type recordingObserver struct {
	mu    sync.Mutex
	calls []observation
}

type observation struct {
	route string
	code  int
}

func (o *recordingObserver) ObserveHook(route string, code int, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, observation{route: route, code: code})
}

func (o *recordingObserver) observations() []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]observation(nil), o.calls...)
}

// endless is an infinite body of spaces: it makes a body too large without allocating it.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestServe(t *testing.T) {
	tests := []struct {
		name            string
		method          string
		contentType     string
		body            io.Reader
		wantCode        int
		wantBody        string // exact, for 200
		wantReason      string // substring of the plain-text reason
		wantContentType string
		wantHeader      map[string]string
	}{
		{name: "success", body: strings.NewReader(`{"name":"world"}`), wantCode: 200,
			wantBody: `{"greeting":"hello world"}` + "\n", wantContentType: "application/json"},
		{name: "json with charset", contentType: "application/json; charset=utf-8", body: strings.NewReader(`{"name":"x"}`), wantCode: 200,
			wantBody: `{"greeting":"hello x"}` + "\n", wantContentType: "application/json"},
		{name: "empty body", body: strings.NewReader(""), wantCode: 400, wantReason: "empty request body"},
		{name: "truncated json", body: strings.NewReader("{"), wantCode: 400, wantReason: "cannot decode request: unexpected EOF"},
		{name: "trailing garbage", body: strings.NewReader(`{"name":"a"} {"name":"b"}`), wantCode: 400, wantReason: "trailing data"},
		{name: "unknown field", body: strings.NewReader(`{"nmae":"a"}`), wantCode: 400, wantReason: `unknown field "nmae"`},
		{name: "wrong content type", contentType: "text/plain", body: strings.NewReader(`{"name":"a"}`), wantCode: 415, wantReason: "unsupported content type"},
		{name: "missing content type", contentType: "-", body: strings.NewReader(`{"name":"a"}`), wantCode: 415},
		{name: "GET", method: http.MethodGet, wantCode: 405, wantReason: "hooks take POST", wantHeader: map[string]string{"Allow": "POST"}},
		{name: "endless body", body: io.MultiReader(strings.NewReader(`{"name":"`), endless{}), wantCode: 413, wantReason: "request body larger than"},
		{name: "hook panics", body: strings.NewReader(`{"name":"panic"}`), wantCode: 500, wantReason: "internal error"},
		{name: "rate limited", body: strings.NewReader(`{"name":"ratelimited"}`), wantCode: 429,
			wantReason: "provider rate limited us", wantHeader: map[string]string{"Retry-After": "7"}},
		{name: "rate limited below a second", body: strings.NewReader(`{"name":"ratelimited-short"}`), wantCode: 429,
			wantHeader: map[string]string{"Retry-After": "1"}},
		{name: "invalid", body: strings.NewReader(`{"name":"invalid"}`), wantCode: 400, wantReason: "parent x has no spec"},
		{name: "plain error", body: strings.NewReader(`{"name":"error"}`), wantCode: 500, wantReason: "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &recordingObserver{}
			h := hooks.Serve(echoHook, hooks.ServeOptions{Route: "sync/echo", Logger: quietLogger(), Observer: obs})
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/sync/echo", tt.body)
			switch tt.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			assert.Equal(t, tt.wantCode, rec.Code)
			if tt.wantBody != "" {
				assert.Equal(t, tt.wantBody, rec.Body.String())
			}
			if tt.wantReason != "" {
				assert.Contains(t, rec.Body.String(), tt.wantReason)
			}
			if tt.wantContentType != "" {
				assert.Equal(t, tt.wantContentType, rec.Header().Get("Content-Type"))
			}
			for k, v := range tt.wantHeader {
				assert.Equal(t, v, rec.Header().Get(k), k)
			}
			assert.NotContains(t, rec.Body.String(), "hunter2", "error details stay in the log")
			assert.Equal(t, []observation{{route: "sync/echo", code: tt.wantCode}}, obs.observations())
		})
	}
}

func TestServeSurvivesPanic(t *testing.T) {
	obs := &recordingObserver{}
	srv := httptest.NewServer(hooks.Serve(echoHook, hooks.ServeOptions{Route: "sync/echo", Logger: quietLogger(), Observer: obs}))
	t.Cleanup(srv.Close)

	post := func(body string) (int, string) {
		resp, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, _ := post(`{"name":"panic"}`)
	assert.Equal(t, http.StatusInternalServerError, code)
	code, body := post(`{"name":"again"}`)
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"greeting":"hello again"}`, body)
	assert.Equal(t, []observation{{"sync/echo", 500}, {"sync/echo", 200}}, obs.observations())
}

// greeting is the parent of the recorded run (shared/metacontroller/recorded).
type greeting struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Message string `json:"message"`
	} `json:"spec"`
	Status *struct {
		Phase              string `json:"phase,omitempty"`
		ObservedGeneration int64  `json:"observedGeneration,omitempty"`
	} `json:"status,omitempty"`
}

type configMap struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Data              map[string]string `json:"data,omitempty"`
}

type greetingChildren struct {
	ConfigMaps map[string]configMap `json:"ConfigMap.v1"`
}

type greetingRelated struct {
	Secrets map[string]hooks.Secret `json:"Secret.v1"`
}

type greetingSync = hooks.SyncRequest[greeting, greetingChildren, greetingRelated]

type greetingStatus struct {
	Phase string `json:"phase"`
}

// recordedDir finds the requests recorded from a real Metacontroller: the
// shared/ folder lies beside the repository.
func recordedDir(t *testing.T) string {
	t.Helper()
	for _, dir := range []string{"testdata/recorded", "../../shared/metacontroller/recorded", "/work/shared/metacontroller/recorded"} {
		if matches, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(matches) > 0 {
			return dir
		}
	}
	t.Skip("recorded Metacontroller requests not found (shared/metacontroller/recorded)")
	return ""
}

func TestServeReplaysRecordedRequests(t *testing.T) {
	var syncs, customizes []string
	syncHook := func(_ context.Context, req *greetingSync) (*hooks.SyncResponse[greetingStatus], error) {
		syncs = append(syncs, req.Parent.Spec.Message)
		if _, ok := req.Related.Secrets["openai"]; !ok {
			return nil, hooks.Invalidf("related secret openai missing")
		}
		if len(req.Related.Secrets["openai"].Data) == 0 {
			return nil, hooks.Invalidf("related secret openai has no data")
		}
		return &hooks.SyncResponse[greetingStatus]{
			Status: greetingStatus{Phase: "Ready"},
			Children: []any{configMap{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
				ObjectMeta: metav1.ObjectMeta{Name: req.Parent.Name + "-child"},
			}},
		}, nil
	}
	customizeHook := func(_ context.Context, req *hooks.CustomizeRequest[greeting]) (*hooks.CustomizeResponse, error) {
		customizes = append(customizes, req.Parent.Spec.Message)
		return &hooks.CustomizeResponse{RelatedResources: []hooks.RelatedResourceRule{{APIVersion: "v1", Resource: "secrets", Names: []string{"openai"}}}}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/sync/greeting", hooks.Serve(syncHook, hooks.ServeOptions{Route: "sync/greeting", Logger: quietLogger()}))
	mux.Handle("/customize/greeting", hooks.Serve(customizeHook, hooks.ServeOptions{Route: "customize/greeting", Logger: quietLogger()}))

	files, err := filepath.Glob(filepath.Join(recordedDir(t), "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			var recorded struct {
				Path    string            `json:"path"`
				Headers map[string]string `json:"headers"`
				Body    json.RawMessage   `json:"body"`
			}
			require.NoError(t, json.Unmarshal(raw, &recorded))

			req := httptest.NewRequest(http.MethodPost, recorded.Path, bytes.NewReader(recorded.Body))
			req.Header.Set("Content-Type", recorded.Headers["Content-Type"])
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)

			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			if strings.HasPrefix(recorded.Path, "/sync/") {
				assert.JSONEq(t, `{"status":{"phase":"Ready"},"children":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hello-child"}}]}`, rec.Body.String())
			}
		})
	}
	assert.Equal(t, []string{"hi", "hi", "hi", "hi again", "hi again"}, syncs)
	assert.Equal(t, []string{"hi", "hi again"}, customizes)
}
