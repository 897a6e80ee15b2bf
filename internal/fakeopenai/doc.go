// Package fakeopenai is an in-process OpenAI API server for tests and local
// runs. It speaks the wire format go-openai expects:
//
//	GET  /v1/models            the configured models
//	POST /v1/chat/completions  answered by a pluggable Handler
//
// The API root to give a client (go-openai's BaseURL, an LLM's
// spec.baseURL) is the server's URL followed by /v1; New returns it as
// TestServer.BaseURL.
//
// Requests must carry `Authorization: Bearer <key>`. When Options.APIKeys is
// set only those keys are accepted; a missing or wrong key gets a 401 with an
// OpenAI-shaped error body, as the real API answers. A Handler may answer
// with an *APIError to inject a 400, a 429 with Retry-After, or a 500.
//
// Every request is recorded (safe for concurrent use) so a test can assert
// what the model was asked and how often. Scripted and ByTurn build Handlers
// from a list of Replies (Text, ToolCalls, Fail, RateLimit).
//
// From a test use New(t, opts), which starts an httptest server and closes it
// at cleanup; from a command use NewServer(opts), an http.Handler.
package fakeopenai
