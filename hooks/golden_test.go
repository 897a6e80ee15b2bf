package hooks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden .response.json files")

// goldenResponse is the content of a <case>.response.json file.
type goldenResponse struct {
	// Code is the HTTP status.
	Code int `json:"code"`
	// Body is the JSON response, or a JSON string holding a plain-text body.
	Body json.RawMessage `json:"body"`
}

// runGolden posts every testdata/<dir>/*.request.json to handler (through the real Serve adapter:
// build the handler with Serve(h.SyncX, ServeOptions{Route: ...}) or from h.Routes), and compares the
// HTTP status and the JSON body with <case>.response.json (stored as {"code": 200, "body": <response JSON>}
// pretty-printed, compared semantically); -update rewrites them. newHooks(caseName) builds the Hooks
// for a case (so each case can have its own fake LLM/Slack and fixed clock).
func runGolden(t *testing.T, dir string, route string, newHooks func(t *testing.T, caseName string) *Hooks) {
	t.Helper()
	requests, err := filepath.Glob(filepath.Join("testdata", dir, "*.request.json"))
	require.NoError(t, err)
	require.NotEmpty(t, requests, "no testdata/%s/*.request.json", dir)
	for _, reqFile := range requests {
		caseName := strings.TrimSuffix(filepath.Base(reqFile), ".request.json")
		t.Run(caseName, func(t *testing.T) {
			body, err := os.ReadFile(reqFile)
			require.NoError(t, err)
			handler := routeHandler(t, newHooks(t, caseName), route)

			got := postHook(t, handler, body)

			respFile := strings.TrimSuffix(reqFile, ".request.json") + ".response.json"
			if *update {
				out, err := json.MarshalIndent(got, "", "  ")
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(respFile, append(out, '\n'), 0o644))
				return
			}
			wantBytes, err := os.ReadFile(respFile)
			require.NoError(t, err, "missing golden file; run go test ./hooks/ -run %s -update", t.Name())
			var want goldenResponse
			require.NoError(t, json.Unmarshal(wantBytes, &want))
			assert.Equal(t, want.Code, got.Code, "HTTP status")
			assert.JSONEq(t, string(want.Body), string(got.Body))
		})
	}
}

// routeHandler finds route among h.Routes.
func routeHandler(t *testing.T, h *Hooks, route string) http.Handler {
	t.Helper()
	for _, r := range h.Routes(nil, nil) {
		if r.Path == route {
			return r.Handler
		}
	}
	require.FailNow(t, "no such route", route)
	return nil
}

// postHook posts body to handler as Metacontroller does and returns the status and body.
func postHook(t *testing.T, handler http.Handler, body []byte) goldenResponse {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	handler.ServeHTTP(rec, req)

	got := goldenResponse{Code: rec.Code, Body: rec.Body.Bytes()}
	if mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type")); mt != "application/json" || !json.Valid(got.Body) {
		text, err := json.Marshal(rec.Body.String())
		require.NoError(t, err)
		got.Body = text
	}
	return got
}

// fixedNow is the clock of every hook test.
func fixedNow() time.Time { return time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC) }

// Secret values that appear (base64-encoded, as Metacontroller sends them) in the
// fixtures' Secrets; they must never reach a response or a log line.
const (
	testAPIKey   = "sk-kubechain-test-do-not-leak-4f9a"
	testBotToken = "xoxb-kubechain-test-do-not-leak-7c2e"
)

// newTestHooks returns Hooks with deps, the fixed clock and a logger writing to
// a buffer, and checks when the test ends that no test secret was logged.
func newTestHooks(t *testing.T, deps Deps) *Hooks {
	t.Helper()
	h, _ := newTestHooksWithLog(t, deps)
	return h
}

// newTestHooksWithLog is newTestHooks that also returns the log buffer (JSON lines).
func newTestHooksWithLog(t *testing.T, deps Deps) (*Hooks, *bytes.Buffer) {
	t.Helper()
	logs := new(bytes.Buffer)
	deps.Now = fixedNow
	h := New(deps, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { assertNoSecret(t, "log output", logs.String()) })
	return h, logs
}

// assertNoSecret fails when text holds a test secret, plain or base64-encoded.
func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, secret := range []string{testAPIKey, testBotToken} {
		assert.NotContains(t, text, secret, "%s holds a secret", what)
		assert.NotContains(t, text, base64.StdEncoding.EncodeToString([]byte(secret)), "%s holds a base64 secret", what)
	}
}

// TestGoldenResponsesHoldNoSecret checks every stored response, including
// those of cases whose provider echoed the key in its error message.
func TestGoldenResponsesHoldNoSecret(t *testing.T) {
	requests, err := filepath.Glob(filepath.Join("testdata", "*", "*.request.json"))
	require.NoError(t, err)
	var withSecret int
	for _, f := range requests {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		if strings.Contains(string(b), base64.StdEncoding.EncodeToString([]byte(testAPIKey))) ||
			strings.Contains(string(b), base64.StdEncoding.EncodeToString([]byte(testBotToken))) {
			withSecret++
		}
	}
	require.NotZero(t, withSecret, "no request fixture carries a test secret: this test would prove nothing")

	responses, err := filepath.Glob(filepath.Join("testdata", "*", "*.response.json"))
	require.NoError(t, err)
	require.NotEmpty(t, responses)
	for _, f := range responses {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assertNoSecret(t, f, string(b))
	}
}

// TestStatusHooksAreDeterministic posts each request twice: Metacontroller
// calls hooks repeatedly, and any difference would cause a status write.
func TestStatusHooksAreDeterministic(t *testing.T) {
	tests := []struct {
		route   string
		fixture string
	}{
		{route: "/sync/llm", fixture: "llm/ready"},
		{route: "/customize/llm", fixture: "customize-llm/secret"},
		{route: "/sync/contactchannel", fixture: "contactchannel/ready"},
		{route: "/customize/contactchannel", fixture: "customize-contactchannel/slack"},
		{route: "/sync/tool", fixture: "tool/human-contact-ready"},
		{route: "/customize/tool", fixture: "customize-tool/delegate"},
		{route: "/sync/toolset", fixture: "toolset/ready"},
		{route: "/sync/agent", fixture: "agent/dependencies-not-ready"},
		{route: "/customize/agent", fixture: "customize-agent/with-tools"},
	}
	for _, tt := range tests {
		t.Run(tt.route, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.fixture+".request.json"))
			require.NoError(t, err)
			models := &fakeModelAPI{listModels: listsModels}
			slackAPI := &fakeSlackAPI{authTest: slackAuthOK}
			handler := routeHandler(t, newTestHooks(t, Deps{LLMs: models.factory, Slack: slackAPI.factory}), tt.route)

			first := postHook(t, handler, body)
			second := postHook(t, handler, body)

			require.Equal(t, http.StatusOK, first.Code, string(first.Body))
			assert.Equal(t, string(first.Body), string(second.Body))
		})
	}
}
