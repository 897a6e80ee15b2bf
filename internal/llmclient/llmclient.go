package llmclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	openai "github.com/sashabaranov/go-openai"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
	"github.com/humanlayer/kubechain/hooks"
)

// DefaultTimeout bounds one HTTP exchange of a client built without an
// explicit *http.Client; it matches the default LLM call timeout.
const DefaultTimeout = 120 * time.Second

// maxIdleConnsPerHost keeps enough warm connections to one provider for every
// Metacontroller worker and then some (net/http's default is 2).
const maxIdleConnsPerHost = 64

// NewHTTPClient returns the *http.Client all LLM clients of a process should
// share: a pooled transport and a Timeout that caps any exchange, even one
// whose context has no deadline.
func NewHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	return &http.Client{Transport: t, Timeout: timeout}
}

var defaultHTTPClient = NewHTTPClient(DefaultTimeout)

// New returns a client for ep. A nil httpClient means a process-wide client
// with DefaultTimeout. The API key is used only on the wire: it is never put
// in an error.
func New(ep hooks.LLMEndpoint, httpClient *http.Client) (hooks.LLMClient, error) {
	if httpClient == nil {
		httpClient = defaultHTTPClient
	}
	switch ep.Provider {
	case string(v1.ProviderOpenAI):
		cfg := openai.DefaultConfig(ep.APIKey)
		if ep.BaseURL != "" {
			cfg.BaseURL = ep.BaseURL
		}
		return &openAIClient{cfg: cfg, http: httpClient}, nil
	default:
		return nil, fmt.Errorf("unsupported LLM provider %q", ep.Provider)
	}
}

// Factory returns a hooks.LLMClientFactory whose clients all use httpClient.
func Factory(httpClient *http.Client) hooks.LLMClientFactory {
	return func(ep hooks.LLMEndpoint) (hooks.LLMClient, error) {
		return New(ep, httpClient)
	}
}

// RateLimitError is returned when the provider answers 429. It unwraps to the
// provider's error (an *openai.APIError or *openai.RequestError).
type RateLimitError struct {
	// After is the provider's Retry-After; zero when it sent none.
	After time.Duration
	// Err is the provider's error.
	Err error
}

func (e *RateLimitError) Error() string {
	if e.After > 0 {
		return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
	}
	return fmt.Sprintf("rate limited: %v", e.Err)
}

func (e *RateLimitError) Unwrap() error { return e.Err }

// RetryAfter is the delay the provider asked for (zero when it gave none).
// Callers that cannot import this package match it with
// errors.As(err, &x) on an interface{ RetryAfter() time.Duration }.
func (e *RateLimitError) RetryAfter() time.Duration { return e.After }

// openAIClient is a go-openai client. A go-openai Client is a cheap struct,
// so each call builds one around a doer that notes the 429's Retry-After,
// which go-openai's errors do not carry.
type openAIClient struct {
	cfg  openai.ClientConfig
	http *http.Client
}

// CreateChatCompletion sends one chat request.
func (c *openAIClient) CreateChatCompletion(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	client, retryAfter := c.client()
	resp, err := client.CreateChatCompletion(ctx, req)
	return resp, classify(err, *retryAfter)
}

// ListModels lists the models the key may use.
func (c *openAIClient) ListModels(ctx context.Context) (openai.ModelsList, error) {
	client, retryAfter := c.client()
	models, err := client.ListModels(ctx)
	return models, classify(err, *retryAfter)
}

func (c *openAIClient) client() (*openai.Client, *string) {
	retryAfter := new(string)
	cfg := c.cfg
	cfg.HTTPClient = doerFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := c.http.Do(r)
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			*retryAfter = resp.Header.Get("Retry-After")
		}
		return resp, err
	})
	return openai.NewClientWithConfig(cfg), retryAfter
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// classify wraps a 429 into a *RateLimitError; other errors pass unchanged.
func classify(err error, retryAfter string) error {
	if err == nil {
		return nil
	}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode == http.StatusTooManyRequests,
		errors.As(err, &reqErr) && reqErr.HTTPStatusCode == http.StatusTooManyRequests:
		return &RateLimitError{After: parseRetryAfter(retryAfter, time.Now()), Err: err}
	}
	return err
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; zero when
// absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
