package hooks

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// fakeSlackAPI is a SlackClientFactory whose clients answer AuthTest with
// authTest. It records the tokens asked for and the calls made.
type fakeSlackAPI struct {
	authTest func(ctx context.Context) (team, user string, err error)

	mu             sync.Mutex
	tokens         []string
	authTestCalls  int
	callsOutOfTime int // AuthTest calls whose context had no deadline
}

func (f *fakeSlackAPI) factory(token string) SlackClient {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = append(f.tokens, token)
	return f
}

func (f *fakeSlackAPI) AuthTest(ctx context.Context) (string, string, error) {
	f.mu.Lock()
	f.authTestCalls++
	if _, ok := ctx.Deadline(); !ok {
		f.callsOutOfTime++
	}
	f.mu.Unlock()
	return f.authTest(ctx)
}

func slackAuthOK(context.Context) (string, string, error) { return "acme", "kubechain", nil }

func slackFails(err error) func(context.Context) (string, string, error) {
	return func(context.Context) (string, string, error) { return "", "", err }
}

func TestSyncContactChannelGolden(t *testing.T) {
	cases := map[string]struct {
		authTest  func(context.Context) (string, string, error)
		wantCalls int
	}{
		"ready":           {authTest: slackAuthOK, wantCalls: 1},
		"unchanged-ready": {},
		"secret-missing":  {},
		"no-slack":        {},
		"invalid-auth":    {authTest: slackFails(slack.SlackErrorResponse{Err: "invalid_auth"}), wantCalls: 1},
		"rate-limited":    {authTest: slackFails(&slack.RateLimitedError{RetryAfter: 20 * time.Second}), wantCalls: 1},
		"server-error":    {authTest: slackFails(slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}), wantCalls: 1},
	}
	runGolden(t, "contactchannel", "/sync/contactchannel", func(t *testing.T, caseName string) *Hooks {
		tc, ok := cases[caseName]
		require.True(t, ok, "no fake configured for case %s", caseName)
		api := &fakeSlackAPI{authTest: tc.authTest}
		t.Cleanup(func() {
			assert.Equal(t, tc.wantCalls, api.authTestCalls, "AuthTest calls")
			assert.Zero(t, api.callsOutOfTime, "AuthTest calls without a deadline")
			for _, token := range api.tokens {
				assert.Equal(t, testBotToken, token, "the token is read from the Secret and trimmed")
			}
		})
		return newTestHooks(t, Deps{Slack: api.factory})
	})
}

func TestCustomizeContactChannelGolden(t *testing.T) {
	runGolden(t, "customize-contactchannel", "/customize/contactchannel", func(t *testing.T, _ string) *Hooks {
		return newTestHooks(t, Deps{})
	})
}

func TestSlackProbeProblem(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantError bool
	}{
		{name: "invalid_auth", err: slack.SlackErrorResponse{Err: "invalid_auth"}, wantError: true},
		{name: "token_revoked", err: slack.SlackErrorResponse{Err: "token_revoked"}, wantError: true},
		{name: "account_inactive wrapped", err: fmt.Errorf("auth.test: %w", slack.SlackErrorResponse{Err: "account_inactive"}), wantError: true},
		{name: "slack internal error", err: slack.SlackErrorResponse{Err: "internal_error"}},
		{name: "rate limited", err: &slack.RateLimitedError{RetryAfter: time.Second}},
		{name: "HTTP 502", err: slack.StatusCodeError{Code: 502, Status: "502 Bad Gateway"}},
		{name: "deadline", err: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := slackProbeProblem(tt.err, v1.SecretKeySelector{Name: "slack-bot", Key: "token"})

			require.NotNil(t, p)
			want := v1.StatusPending
			if tt.wantError {
				want = v1.StatusError
			}
			assert.Equal(t, want, p.status)
		})
	}
}
