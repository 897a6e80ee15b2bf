// Command hookserver serves kubechain's Metacontroller hooks.
//
// Usage:
//
//	hookserver [serve] [flags]
//
// serve (the default) listens on --addr and answers, on one chi router:
//
//	POST /sync/<kind>, /customize/<kind>  the hooks (hooks.Routes)
//	GET  /healthz                          ok while the process runs
//	GET  /readyz                           ok while serving; 503 once shutting down
//	GET  /metrics                          Prometheus metrics (internal/metrics)
//
// Every flag has an environment default, KUBECHAIN_ followed by the flag name
// in upper case with dashes as underscores (--llm-call-timeout:
// KUBECHAIN_LLM_CALL_TIMEOUT). A flag given on the command line wins over the
// environment. An unparseable value, from either, stops the server with an
// error naming it: nothing falls back silently. --llm-call-timeout must stay
// below --hook-timeout, the TaskRun sync hook's timeout in
// metacontroller/taskrun.yaml.
//
// On SIGTERM or SIGINT the server reports not ready, stops accepting
// connections, and lets in-flight hook calls finish for at most
// --shutdown-timeout.
//
// Code layout: main.go parses the subcommand (run), config.go the flags and
// environment (ParseServeFlags), serve.go builds the router and runs the
// http.Server (Serve).
package main
