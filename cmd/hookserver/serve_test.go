package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/humanlayer/kubechain/hooks"
	"github.com/humanlayer/kubechain/internal/metrics"
)

func testConfig() Config {
	return Config{
		Addr: "127.0.0.1:0", LogFormat: "text", LogLevel: slog.LevelInfo,
		LLMCallTimeout: 2 * time.Second, HookTimeout: 5 * time.Second,
		ValidationTimeout: time.Second, ShutdownTimeout: 5 * time.Second,
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// started is a server running on a loopback port.
type started struct {
	*server
	url  string
	stop context.CancelFunc
	// wait blocks until serve returns and gives its error.
	wait func() error
	// done is closed when serve has returned.
	done chan struct{}
}

// start serves routes on 127.0.0.1:0 until the returned stop is called (or the test ends).
func start(t *testing.T, cfg Config, m *metrics.Metrics, routes []hooks.Route) *started {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := newServer(cfg, quietLogger(), m, routes)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var serveErr error
	go func() {
		defer close(done)
		serveErr = s.serve(ctx, ln)
	}()
	wait := func() error {
		<-done
		return serveErr
	}
	t.Cleanup(func() {
		cancel()
		_ = wait()
	})
	return &started{server: s, url: "http://" + ln.Addr().String(), stop: cancel, wait: wait, done: done}
}

func do(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func realRoutes(m *metrics.Metrics) []hooks.Route {
	return hooks.New(hooks.Deps{}, quietLogger()).Routes(m, quietLogger())
}

func TestServerEndpoints(t *testing.T) {
	m := metrics.New()
	s := start(t, testConfig(), m, realRoutes(m))

	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		wantCode    int
		wantBody    string
	}{
		{name: "healthz", method: "GET", path: "/healthz", wantCode: 200, wantBody: "ok\n"},
		{name: "readyz", method: "GET", path: "/readyz", wantCode: 200, wantBody: "ok\n"},
		{name: "unknown route", method: "POST", path: "/sync/nothing", contentType: "application/json", wantCode: 404, wantBody: "not found: no hook or endpoint at /sync/nothing\n"},
		{name: "hook wants POST", method: "GET", path: "/sync/taskrun", wantCode: 405, wantBody: "method not allowed: hooks take POST\n"},
		{name: "hook wants JSON", method: "POST", path: "/sync/taskrun", contentType: "text/plain", wantCode: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(t, tt.method, s.url+tt.path, tt.contentType, "")
			assert.Equal(t, tt.wantCode, code, body)
			if tt.wantBody != "" {
				assert.Equal(t, tt.wantBody, body)
			}
		})
	}

	_, metricsBody := do(t, "GET", s.url+"/metrics", "", "")
	assert.Contains(t, metricsBody, `kubechain_hook_requests_total{code="405",route="sync/taskrun"} 1`)
	assert.Contains(t, metricsBody, `kubechain_hook_requests_total{code="415",route="sync/taskrun"} 1`)
	assert.Contains(t, metricsBody, `kubechain_hook_duration_seconds_count{code="415",route="sync/taskrun"} 1`)
	assert.Contains(t, metricsBody, "go_goroutines")
}

func TestEveryHookIsRouted(t *testing.T) {
	m := metrics.New()
	routes := realRoutes(m)
	require.NotEmpty(t, routes)
	s := start(t, testConfig(), m, routes)

	for _, rt := range routes {
		t.Run(rt.Path, func(t *testing.T) {
			// An empty body is refused by the adapter before any hook runs.
			code, body := do(t, "POST", s.url+rt.Path, "application/json", "")
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Equal(t, "empty request body\n", body)
		})
	}
	_, metricsBody := do(t, "GET", s.url+"/metrics", "", "")
	for _, rt := range routes {
		assert.Contains(t, metricsBody, `kubechain_hook_requests_total{code="400",route="`+rt.Path[1:]+`"} 1`)
	}
}

// blockingRoute is a hook that signals entered and then waits for release.
func blockingRoute(entered chan<- struct{}, release <-chan struct{}) hooks.Route {
	h := func(ctx context.Context, _ *struct{}) (*struct{}, error) {
		entered <- struct{}{}
		select {
		case <-release:
			return &struct{}{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return hooks.Route{Path: "/sync/block", Handler: hooks.Serve(h, hooks.ServeOptions{Route: "sync/block", Logger: quietLogger()})}
}

func readyz(s *server) int {
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code
}

func TestGracefulShutdownFinishesInFlightCalls(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	s := start(t, testConfig(), metrics.New(), []hooks.Route{blockingRoute(entered, release)})

	type result struct {
		code int
		body string
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Post(s.url+"/sync/block", "application/json", strings.NewReader("{}"))
		if err != nil {
			inflight <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		inflight <- result{code: resp.StatusCode, body: string(b)}
	}()
	<-entered
	require.Equal(t, http.StatusOK, readyz(s.server))

	s.stop()
	require.Eventually(t, func() bool { return readyz(s.server) == http.StatusServiceUnavailable },
		5*time.Second, 5*time.Millisecond, "readyz goes 503 once shutting down")
	select {
	case <-s.done:
		t.Fatalf("server returned while a call was in flight: %v", s.wait())
	default:
	}

	close(release)
	got := <-inflight
	assert.Equal(t, http.StatusOK, got.code, got.body)
	assert.Equal(t, "{}\n", got.body)
	require.NoError(t, s.wait())
}

func TestShutdownTimeoutAbortsStuckCalls(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	t.Cleanup(func() { close(release) })
	cfg := testConfig()
	cfg.ShutdownTimeout = 50 * time.Millisecond
	s := start(t, cfg, metrics.New(), []hooks.Route{blockingRoute(entered, release)})

	go func() {
		resp, err := http.Post(s.url+"/sync/block", "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	s.stop()
	err := s.wait()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "graceful shutdown: in-flight requests aborted after 50ms")
}

func TestHookRequestsHaveADeadline(t *testing.T) {
	cfg := testConfig()
	cfg.HookTimeout = 50 * time.Millisecond
	entered := make(chan struct{}, 1)
	s := start(t, cfg, metrics.New(), []hooks.Route{blockingRoute(entered, nil)})

	code, body := do(t, "POST", s.url+"/sync/block", "application/json", "{}")
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Equal(t, "internal error\n", body)
}

func TestRun(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantErr    string
		wantStdout string
		wantStderr string
	}{
		{name: "bad env value is named", env: map[string]string{"KUBECHAIN_SHUTDOWN_TIMEOUT": "forever"},
			wantErr: `invalid value "forever" for KUBECHAIN_SHUTDOWN_TIMEOUT`},
		{name: "bad env value with explicit serve", args: []string{"serve"}, env: map[string]string{"KUBECHAIN_LOG_FORMAT": "yaml"},
			wantErr: `--log-format "yaml": want json or text`},
		{name: "unknown command", args: []string{"frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{name: "help", args: []string{"help"}, wantStdout: "usage: hookserver [command] [flags]"},
		{name: "serve starts and stops", args: []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"},
			wantStderr: `"msg":"hook server listening"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(cancelled, tt.args, envFrom(tt.env), &stdout, &stderr)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, stdout.String(), tt.wantStdout)
			assert.Contains(t, stderr.String(), tt.wantStderr)
		})
	}
}

func TestServeFailsWhenAddressIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	cfg := testConfig()
	cfg.Addr = ln.Addr().String()

	err = Serve(context.Background(), cfg, quietLogger())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listen on "+cfg.Addr)
}
