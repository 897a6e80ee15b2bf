package slackclient

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/humanlayer/kubechain/internal/fakeslack"
)

func TestAuthTest(t *testing.T) {
	const good = "xoxb-good"
	fake := fakeslack.New(t, fakeslack.Options{Tokens: map[string]fakeslack.Identity{good: {Team: "Acme", User: "kubechain"}}})

	tests := []struct {
		name     string
		apiURL   string
		token    string
		wantTeam string
		wantUser string
		wantErr  string
	}{
		{name: "valid token", apiURL: fake.APIURL, token: good, wantTeam: "Acme", wantUser: "kubechain"},
		{name: "api url without trailing slash", apiURL: strings.TrimSuffix(fake.APIURL, "/"), token: good, wantTeam: "Acme", wantUser: "kubechain"},
		{name: "invalid token", apiURL: fake.APIURL, token: "xoxb-bad", wantErr: "invalid_auth"},
		{name: "no token", apiURL: fake.APIURL, token: "", wantErr: "not_authed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			team, user, err := Factory(tt.apiURL, fake.HTTP.Client())(tt.token).AuthTest(context.Background())
			if tt.wantErr != "" {
				require.Error(t, err)
				var slackErr slack.SlackErrorResponse
				require.True(t, errors.As(err, &slackErr), "want a slack error, got %T", err)
				assert.Equal(t, tt.wantErr, slackErr.Err)
				if tt.token != "" {
					assert.NotContains(t, err.Error(), tt.token)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantTeam, team)
			assert.Equal(t, tt.wantUser, user)
		})
	}

	calls := fake.Calls()
	require.Len(t, calls, len(tests))
	assert.Equal(t, fakeslack.Call{Method: "auth.test", Token: good}, calls[0])
	assert.Equal(t, len(tests), fake.AuthTestCalls())
}

func TestAuthTestHonoursContext(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Factory(fake.APIURL, nil)("xoxb-any").AuthTest(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, fake.AuthTestCalls())
}
