package fakeslack

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Identity is what auth.test reports for a token. Empty fields get defaults
// (team T, user bot).
type Identity struct {
	// Team is the workspace name.
	Team string
	// TeamID is the workspace id.
	TeamID string
	// User is the bot user's name.
	User string
	// UserID is the bot user's id.
	UserID string
	// BotID is the bot's id.
	BotID string
}

// Options configures the fake.
type Options struct {
	// Tokens are the valid tokens and the identity each belongs to.
	Tokens map[string]Identity
}

// Call is one request the fake received.
type Call struct {
	// Method is the Web API method, e.g. auth.test.
	Method string
	// Token is the token the request carried ("" when none).
	Token string
}

// Server is the fake Slack Web API as an http.Handler.
type Server struct {
	opts Options

	mu    sync.Mutex
	calls []Call
}

// NewServer returns the fake as an http.Handler.
func NewServer(opts Options) *Server {
	return &Server{opts: opts}
}

// TestServer is a Server listening on a loopback httptest server.
type TestServer struct {
	*Server
	// APIURL is the Web API root to give slack-go: the server's URL + "/api/".
	APIURL string
	// HTTP is the underlying httptest server.
	HTTP *httptest.Server
}

// New starts the fake on a loopback port and closes it when t ends.
func New(t testing.TB, opts Options) *TestServer {
	t.Helper()
	s := NewServer(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &TestServer{Server: s, APIURL: hs.URL + "/api/", HTTP: hs}
}

// Calls returns the requests received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// AuthTestCalls is the number of auth.test calls received.
func (s *Server) AuthTestCalls() int {
	n := 0
	for _, c := range s.Calls() {
		if c.Method == "auth.test" {
			n++
		}
	}
	return n
}

// ServeHTTP answers Slack Web API methods under /api/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	token := r.PostFormValue("token")
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && token == "" {
		token = bearer
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Token: token})
	s.mu.Unlock()

	switch method {
	case "auth.test":
		s.authTest(w, token)
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (s *Server) authTest(w http.ResponseWriter, token string) {
	if token == "" {
		writeJSON(w, map[string]any{"ok": false, "error": "not_authed"})
		return
	}
	id, ok := s.opts.Tokens[token]
	if !ok {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	id = withDefaults(id)
	writeJSON(w, map[string]any{
		"ok":      true,
		"url":     "https://" + strings.ToLower(id.Team) + ".slack.com/",
		"team":    id.Team,
		"user":    id.User,
		"team_id": id.TeamID,
		"user_id": id.UserID,
		"bot_id":  id.BotID,
	})
}

func withDefaults(id Identity) Identity {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&id.Team, "T")
	def(&id.TeamID, "T0000000001")
	def(&id.User, "bot")
	def(&id.UserID, "U0000000001")
	def(&id.BotID, "B0000000001")
	return id
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
