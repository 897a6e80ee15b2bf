package fakeopenai

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// DefaultModels are listed by GET /v1/models when Options.Models is empty.
var DefaultModels = []string{"gpt-4o", "gpt-4o-mini"}

// maxBodyBytes caps a chat request body; real prompts are far smaller.
const maxBodyBytes = 8 << 20

// APIError is an error answer: Status is the HTTP status, Message goes into
// the OpenAI error body, RetryAfter (if set) into the Retry-After header.
type APIError struct {
	// Status is the HTTP status code, e.g. 429.
	Status int
	// Message is the error body's message.
	Message string
	// RetryAfter is sent verbatim as the Retry-After header when not empty.
	RetryAfter string
}

// Handler answers one chat completion request, with a response or an error.
type Handler func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, *APIError)

// Options configures the fake.
type Options struct {
	// APIKeys are the accepted bearer keys; empty accepts any non-empty key.
	APIKeys []string
	// Models are listed by GET /v1/models; empty means DefaultModels.
	Models []string
	// Handler answers chat completions; nil answers every one with a 500.
	Handler Handler
}

// Server is the fake API as an http.Handler. It records what it receives.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu             sync.Mutex
	requests       []openai.ChatCompletionRequest
	calls          int
	modelListCalls int
}

// NewServer returns the fake as an http.Handler, for use from a command.
func NewServer(opts Options) *Server {
	if len(opts.Models) == 0 {
		opts.Models = DefaultModels
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /v1/models", s.authorized(s.listModels))
	s.mux.HandleFunc("POST /v1/chat/completions", s.authorized(s.chatCompletions))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &APIError{Status: http.StatusNotFound, Message: "Unknown request URL: " + r.Method + " " + r.URL.Path + "."})
	})
	return s
}

// TestServer is a Server listening on a loopback httptest server.
type TestServer struct {
	*Server
	// BaseURL is the API root to give clients: the server's URL + "/v1".
	BaseURL string
	// HTTP is the underlying httptest server.
	HTTP *httptest.Server
}

// New starts the fake on a loopback port and closes it when t ends.
func New(t testing.TB, opts Options) *TestServer {
	t.Helper()
	s := NewServer(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &TestServer{Server: s, BaseURL: hs.URL + "/v1", HTTP: hs}
}

// ServeHTTP serves the OpenAI API subset.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Requests returns the chat completion requests received so far, in order:
// those with an accepted key and a decodable body.
func (s *Server) Requests() []openai.ChatCompletionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Calls is the number of POST /v1/chat/completions received, whatever the answer.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// ModelListCalls is the number of GET /v1/models received, whatever the answer.
func (s *Server) ModelListCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.modelListCalls
}

// authorized counts the call, then checks the bearer key before calling next.
func (s *Server) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case !ok || key == "":
			s.count(r)
			writeError(w, &APIError{Status: http.StatusUnauthorized, Message: "You didn't provide an API key."})
		case len(s.opts.APIKeys) > 0 && !slices.Contains(s.opts.APIKeys, key):
			s.count(r)
			writeError(w, &APIError{Status: http.StatusUnauthorized, Message: "Incorrect API key provided"})
		default:
			next(w, r)
		}
	}
}

// count records a call refused before its body was read.
func (s *Server) count(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodGet {
		s.modelListCalls++
	} else {
		s.calls++
	}
}

type modelList struct {
	Object string  `json:"object"`
	Data   []model `json:"data"`
}

type model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (s *Server) listModels(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.modelListCalls++
	s.mu.Unlock()
	list := modelList{Object: "list", Data: make([]model, 0, len(s.opts.Models))}
	for _, id := range s.opts.Models {
		list.Data = append(list.Data, model{ID: id, Object: "model", Created: created, OwnedBy: "fakeopenai"})
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var req openai.ChatCompletionRequest
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(&req)
	s.mu.Lock()
	s.calls++
	if err == nil {
		s.requests = append(s.requests, req)
	}
	s.mu.Unlock()

	switch {
	case err != nil:
		writeError(w, &APIError{Status: http.StatusBadRequest, Message: "We could not parse the JSON body of your request: " + err.Error()})
		return
	case req.Model == "":
		writeError(w, &APIError{Status: http.StatusBadRequest, Message: "you must provide a model parameter"})
		return
	case len(req.Messages) == 0:
		writeError(w, &APIError{Status: http.StatusBadRequest, Message: "[] is too short - 'messages'"})
		return
	case req.Stream:
		writeError(w, &APIError{Status: http.StatusBadRequest, Message: "streaming is not supported by fakeopenai"})
		return
	case s.opts.Handler == nil:
		writeError(w, &APIError{Status: http.StatusInternalServerError, Message: "fakeopenai: no chat completion handler configured"})
		return
	}
	resp, apiErr := s.opts.Handler(req)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// errorBody is the OpenAI error envelope.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// writeError answers with the error body the real API sends for e.Status.
func writeError(w http.ResponseWriter, e *APIError) {
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	d := errorDetail{Message: e.Message, Type: "invalid_request_error"}
	switch {
	case status == http.StatusUnauthorized && strings.HasPrefix(e.Message, "Incorrect API key"):
		d.Code = ptr("invalid_api_key")
	case status == http.StatusTooManyRequests:
		d.Type, d.Code = "requests", ptr("rate_limit_exceeded")
	case status >= 500:
		d.Type = "server_error"
	}
	if e.RetryAfter != "" {
		w.Header().Set("Retry-After", e.RetryAfter)
	}
	writeJSON(w, status, errorBody{Error: d})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func ptr[T any](v T) *T { return &v }
