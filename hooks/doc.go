// Package hooks holds kubechain's Metacontroller hooks: pure functions from a
// typed sync or customize request to a typed response.
//
// Each kind has one file (llm.go, agent.go, taskrun.go, ...) with its sync
// hook and, where it needs related objects, its customize hook. A hook computes
// the parent's whole status and its desired children from the request alone
// (parent, observed children, related objects) plus the injected Deps: the
// clock, the LLM client, the Slack client. It never sees an
// http.ResponseWriter: Serve adapts every hook to HTTP in one place (body
// limit, content type, strict decoding, panic recovery, error mapping).
//
// Metacontroller hands hooks stale parents, calls them several times per
// change, replaces the whole status with what they return, and deletes the
// children they stop returning (see shared/metacontroller/CONTRACT.md). Every
// hook here is written so that the same request yields the same response
// bytes and so that a stale parent never moves a status backwards.
package hooks
