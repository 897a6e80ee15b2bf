package hooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// fakeModelAPI is an LLMClientFactory whose clients answer ListModels with
// listModels. It records the endpoints asked for and the calls made.
type fakeModelAPI struct {
	listModels func(ctx context.Context) (openai.ModelsList, error)

	mu              sync.Mutex
	endpoints       []LLMEndpoint
	listModelsCalls int
	callsOutOfTime  int // ListModels calls whose context had no deadline
}

func (f *fakeModelAPI) factory(ep LLMEndpoint) (LLMClient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endpoints = append(f.endpoints, ep)
	return f, nil
}

func (f *fakeModelAPI) ListModels(ctx context.Context) (openai.ModelsList, error) {
	f.mu.Lock()
	f.listModelsCalls++
	if _, ok := ctx.Deadline(); !ok {
		f.callsOutOfTime++
	}
	f.mu.Unlock()
	return f.listModels(ctx)
}

func (f *fakeModelAPI) CreateChatCompletion(context.Context, openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	return openai.ChatCompletionResponse{}, errors.New("fakeModelAPI: a status hook must not chat")
}

func listsModels(context.Context) (openai.ModelsList, error) {
	return openai.ModelsList{Models: []openai.Model{{ID: "gpt-4o"}, {ID: "gpt-4o-mini"}}}, nil
}

func failsWith(err error) func(context.Context) (openai.ModelsList, error) {
	return func(context.Context) (openai.ModelsList, error) { return openai.ModelsList{}, err }
}

func TestSyncLLMGolden(t *testing.T) {
	defaultEndpoint := LLMEndpoint{Provider: "openai", APIKey: testAPIKey}
	cases := map[string]struct {
		listModels    func(context.Context) (openai.ModelsList, error)
		wantEndpoints []LLMEndpoint
	}{
		"ready":          {listModels: listsModels, wantEndpoints: []LLMEndpoint{defaultEndpoint}},
		"ready-base-url": {listModels: listsModels, wantEndpoints: []LLMEndpoint{{Provider: "openai", BaseURL: "http://vllm.models.svc:8000/v1", APIKey: testAPIKey}}},
		"secret-rotated": {listModels: listsModels, wantEndpoints: []LLMEndpoint{defaultEndpoint}},
		// The fingerprint matches a verdict already reached: no provider call.
		"unchanged-ready":    {},
		"unchanged-error":    {},
		"secret-missing":     {},
		"secret-key-missing": {},
		// The provider echoes the key: it must not reach the status or the log.
		"provider-unauthorized": {listModels: failsWith(&openai.APIError{
			HTTPStatusCode: 401, HTTPStatus: "401 Unauthorized", Type: "invalid_request_error",
			Message: "Incorrect API key provided: " + testAPIKey + ". You can find your API key at https://platform.openai.com/account/api-keys.",
		}), wantEndpoints: []LLMEndpoint{defaultEndpoint}},
		"provider-not-found": {listModels: failsWith(&openai.RequestError{
			HTTPStatusCode: 404, HTTPStatus: "404 Not Found", Body: []byte("404 page not found\n"), Err: errors.New("invalid character 'p' after top-level value"),
		}), wantEndpoints: []LLMEndpoint{defaultEndpoint}},
		"provider-rate-limited": {listModels: failsWith(&openai.APIError{
			HTTPStatusCode: 429, HTTPStatus: "429 Too Many Requests", Type: "requests", Message: "Rate limit reached for requests",
		}), wantEndpoints: []LLMEndpoint{defaultEndpoint}},
		"provider-unreachable": {listModels: failsWith(&url.Error{
			Op: "Get", URL: "https://api.openai.com/v1/models", Err: errors.New("dial tcp: lookup api.openai.com: no such host"),
		}), wantEndpoints: []LLMEndpoint{defaultEndpoint}},
	}
	runGolden(t, "llm", "/sync/llm", func(t *testing.T, caseName string) *Hooks {
		tc, ok := cases[caseName]
		require.True(t, ok, "no fake configured for case %s", caseName)
		api := &fakeModelAPI{listModels: tc.listModels}
		t.Cleanup(func() {
			assert.Equal(t, tc.wantEndpoints, api.endpoints, "clients built")
			assert.Equal(t, len(tc.wantEndpoints), api.listModelsCalls, "ListModels calls")
			assert.Zero(t, api.callsOutOfTime, "ListModels calls without a deadline")
		})
		return newTestHooks(t, Deps{LLMs: api.factory})
	})
}

func TestCustomizeLLMGolden(t *testing.T) {
	runGolden(t, "customize-llm", "/customize/llm", func(t *testing.T, _ string) *Hooks {
		return newTestHooks(t, Deps{})
	})
}

func TestSyncLLMTimesOutSlowProvider(t *testing.T) {
	api := &fakeModelAPI{listModels: func(ctx context.Context) (openai.ModelsList, error) {
		<-ctx.Done()
		return openai.ModelsList{}, ctx.Err()
	}}
	h := newTestHooks(t, Deps{LLMs: api.factory, ValidationTimeout: 1})
	req := &LLMSyncRequest{
		Parent: v1.LLM{Spec: v1.LLMSpec{
			Provider:   v1.ProviderOpenAI,
			APIKeyFrom: v1.SecretKeySource{SecretKeyRef: v1.SecretKeySelector{Name: "openai", Key: "key"}},
			Config:     v1.LLMConfig{Model: "gpt-4o"},
		}},
		Related: LLMRelated{Secrets: map[string]Secret{"openai": {Data: map[string][]byte{"key": []byte(testAPIKey)}}}},
	}

	resp, err := h.SyncLLM(context.Background(), req)

	require.NoError(t, err)
	assert.Equal(t, v1.StatusPending, resp.Status.Status)
	assert.Equal(t, "cannot reach https://api.openai.com/v1, retrying in 30s: context deadline exceeded", resp.Status.StatusDetail)
	assert.Empty(t, resp.Status.ValidatedFingerprint)
	assert.Equal(t, float64(transientRetrySeconds), resp.ResyncAfterSeconds)
}

func TestCredentialFingerprint(t *testing.T) {
	spec := v1.LLMSpec{Config: v1.LLMConfig{Model: "gpt-4o"}}
	secret := Secret{Data: map[string][]byte{"key": []byte("one")}}
	secret.UID, secret.ResourceVersion = "uid-1", "10"
	base := credentialFingerprint(spec, secret, "key")

	rotatedValue := secret
	rotatedValue.Data = map[string][]byte{"key": []byte("two")}
	newVersion := secret
	newVersion.ResourceVersion = "11"
	recreated := secret
	recreated.UID = "uid-2"
	otherModel := spec
	otherModel.Config.Model = "gpt-4o-mini"

	assert.Len(t, base, 16)
	assert.Equal(t, base, credentialFingerprint(spec, rotatedValue, "key"), "the value is not hashed; its resourceVersion is")
	assert.NotEqual(t, base, credentialFingerprint(spec, newVersion, "key"))
	assert.NotEqual(t, base, credentialFingerprint(spec, recreated, "key"))
	assert.NotEqual(t, base, credentialFingerprint(otherModel, secret, "key"))
	assert.NotEqual(t, base, credentialFingerprint(spec, secret, "other"))
}

func TestLLMProbeProblem(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want v1.StatusType
	}{
		{name: "401", err: &openai.APIError{HTTPStatusCode: 401, Message: "bad key"}, want: v1.StatusError},
		{name: "403", err: &openai.APIError{HTTPStatusCode: 403, Message: "forbidden"}, want: v1.StatusError},
		{name: "400", err: &openai.RequestError{HTTPStatusCode: 400, HTTPStatus: "400 Bad Request"}, want: v1.StatusError},
		{name: "429 wrapped", err: fmt.Errorf("rate limited: %w", &openai.APIError{HTTPStatusCode: 429}), want: v1.StatusPending},
		{name: "500", err: &openai.APIError{HTTPStatusCode: 500, Message: "oops"}, want: v1.StatusPending},
		{name: "502 non-JSON body", err: &openai.RequestError{HTTPStatusCode: 502, HTTPStatus: "502 Bad Gateway", Body: []byte("<html>bad gateway</html>")}, want: v1.StatusPending},
		{name: "deadline", err: context.DeadlineExceeded, want: v1.StatusPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := llmProbeProblem(tt.err, "https://api.openai.com/v1", v1.SecretKeySelector{Name: "openai", Key: "key"})

			require.NotNil(t, p)
			assert.Equal(t, tt.want, p.status)
			assert.Equal(t, ReasonProviderError, p.reason)
		})
	}
}

// TestCredentialsStayOutOfStatusAndLogs makes the provider echo the
// credential in its error, as some OpenAI-compatible servers and proxies do.
func TestCredentialsStayOutOfStatusAndLogs(t *testing.T) {
	tests := []struct {
		route   string
		fixture string
		deps    func() Deps
	}{
		{route: "/sync/llm", fixture: "llm/provider-unauthorized", deps: func() Deps {
			return Deps{LLMs: (&fakeModelAPI{listModels: failsWith(&openai.APIError{HTTPStatusCode: 401, Message: "bad key " + testAPIKey})}).factory}
		}},
		{route: "/sync/llm", fixture: "llm/provider-unreachable", deps: func() Deps {
			return Deps{LLMs: (&fakeModelAPI{listModels: failsWith(errors.New("proxy refused key " + testAPIKey))}).factory}
		}},
		{route: "/sync/contactchannel", fixture: "contactchannel/server-error", deps: func() Deps {
			return Deps{Slack: (&fakeSlackAPI{authTest: slackFails(fmt.Errorf("POST auth.test?token=%s: 502", testBotToken))}).factory}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.fixture+".request.json"))
			require.NoError(t, err)
			h, logs := newTestHooksWithLog(t, tt.deps())

			got := postHook(t, routeHandler(t, h, tt.route), body)

			require.Equal(t, http.StatusOK, got.Code)
			assert.Contains(t, string(got.Body), "[redacted]", "the echoed credential is replaced")
			assert.Contains(t, logs.String(), "[redacted]", "the failure is logged, redacted")
			assertNoSecret(t, "response", string(got.Body))
			assertNoSecret(t, "log output", logs.String())
		})
	}
}
