package fakeslack

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWire(t *testing.T) {
	fake := New(t, Options{Tokens: map[string]Identity{"xoxb-1": {}}})
	tests := []struct {
		name       string
		path       string
		form       url.Values
		bearer     string
		wantStatus int
		wantBody   string
	}{
		{name: "valid token in form", path: "auth.test", form: url.Values{"token": {"xoxb-1"}}, wantStatus: 200,
			wantBody: `{"ok":true,"url":"https://t.slack.com/","team":"T","user":"bot","team_id":"T0000000001","user_id":"U0000000001","bot_id":"B0000000001"}`},
		{name: "valid bearer token", path: "auth.test", bearer: "xoxb-1", wantStatus: 200,
			wantBody: `{"ok":true,"url":"https://t.slack.com/","team":"T","user":"bot","team_id":"T0000000001","user_id":"U0000000001","bot_id":"B0000000001"}`},
		{name: "invalid token", path: "auth.test", form: url.Values{"token": {"xoxb-2"}}, wantStatus: 200, wantBody: `{"ok":false,"error":"invalid_auth"}`},
		{name: "no token", path: "auth.test", wantStatus: 200, wantBody: `{"ok":false,"error":"not_authed"}`},
		{name: "unknown method", path: "users.list", form: url.Values{"token": {"xoxb-1"}}, wantStatus: 200, wantBody: `{"ok":false,"error":"unknown_method"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, fake.APIURL+tt.path, strings.NewReader(tt.form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.JSONEq(t, tt.wantBody, string(body))
		})
	}
	assert.Equal(t, 4, fake.AuthTestCalls())
	assert.Len(t, fake.Calls(), 5)
}
