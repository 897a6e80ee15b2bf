package slackclient

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/humanlayer/kubechain/hooks"
)

// DefaultTimeout bounds one Slack call of a client built without an explicit
// *http.Client (slack-go's default client has no timeout).
const DefaultTimeout = 30 * time.Second

var defaultHTTPClient = &http.Client{Timeout: DefaultTimeout}

// Factory returns a hooks.SlackClientFactory. apiURL is the Web API root
// ("" means Slack's, https://slack.com/api/); a nil httpClient means one with
// DefaultTimeout. The token is used only on the wire, never put in an error.
func Factory(apiURL string, httpClient *http.Client) hooks.SlackClientFactory {
	if httpClient == nil {
		httpClient = defaultHTTPClient
	}
	if apiURL != "" && !strings.HasSuffix(apiURL, "/") {
		apiURL += "/" // slack-go appends the method name directly
	}
	return func(token string) hooks.SlackClient {
		opts := []slack.Option{slack.OptionHTTPClient(httpClient)}
		if apiURL != "" {
			opts = append(opts, slack.OptionAPIURL(apiURL))
		}
		return &client{api: slack.New(token, opts...)}
	}
}

type client struct {
	api *slack.Client
}

// AuthTest calls auth.test and returns the workspace and bot user names.
func (c *client) AuthTest(ctx context.Context) (team, user string, err error) {
	resp, err := c.api.AuthTestContext(ctx)
	if err != nil {
		return "", "", fmt.Errorf("slack auth.test: %w", err)
	}
	return resp.Team, resp.User, nil
}
