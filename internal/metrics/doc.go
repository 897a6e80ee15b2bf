// Package metrics holds the hook server's Prometheus metrics: a private
// registry with the Go and process collectors, and an implementation of
// hooks.Observer that records the duration and status code of every hook call.
//
// Exported series:
//
//	kubechain_hook_duration_seconds{route,code}  histogram
//	kubechain_hook_requests_total{route,code}    counter
//
// route is the hook's path without the leading slash (sync/taskrun), code the
// HTTP status the hook server answered with.
package metrics
