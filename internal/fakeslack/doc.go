// Package fakeslack is an in-process Slack Web API server for tests. It
// answers what slack-go sends:
//
//	POST /api/auth.test  form-encoded, token in the form or as a Bearer header
//
// A token listed in Options.Tokens gets {"ok":true,...} with its identity; any
// other gets {"ok":false,"error":"invalid_auth"} (no token: "not_authed"),
// with HTTP 200 as Slack answers. Other methods answer "unknown_method"; more
// (chat.postMessage) can be added as further cases of ServeHTTP.
//
// The API URL to give slack-go (slack.OptionAPIURL) is the server's URL
// followed by /api/; New returns it as TestServer.APIURL.
package fakeslack
