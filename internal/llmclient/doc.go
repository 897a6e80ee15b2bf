// Package llmclient builds the real hooks.LLMClient for an LLM endpoint.
//
// One case per provider flavour: "openai" uses go-openai against the OpenAI
// chat-completions API (or any server that speaks it, via BaseURL). Another
// flavour is added as another case in New.
//
// Every client shares one *http.Client (NewHTTPClient) so that connections to
// a provider are reused across hook calls; its Timeout is a backstop, the
// per-call deadline comes from the caller's context. A 429 answer surfaces as
// a *RateLimitError that unwraps to go-openai's *openai.APIError and carries
// the provider's Retry-After.
package llmclient
