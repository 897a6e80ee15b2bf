// Package runner runs kubechain offline: an in-memory API server plus an
// emulation of Metacontroller v4.17.2 driving CompositeController hooks, so
// that the hook server can be exercised end to end without a cluster.
//
// A Runner holds objects (Apply, Delete with ownerReference cascade, Get,
// List) and, for each CompositeController (LoadControllers), does what
// Metacontroller does (shared/metacontroller/CONTRACT.md): it queues a parent
// when the parent, one of its children or one of its related objects changes;
// syncs one parent at a time per controller and up to Workers in parallel;
// calls the customize hook once per parent uid and generation and the sync
// hook with the exact v1 request shape ({controller, parent, children,
// related, finalizing}); applies the response (children first, deleted when
// no longer returned, created with the controller-uid label, an owner
// reference and the last-applied annotation, updated per updateStrategy,
// AlreadyExists ignored so the first object wins; then the whole status with
// observedGeneration, written only when it differs); and retries failures
// with exponential backoff, 429s after Retry-After, and resyncAfterSeconds
// on a virtual Clock that jumps forward when nothing else is left to do
// (up to Options.Horizon per Run).
//
// Options.Stale adds Metacontroller's informer lag and repeated calls, to
// test that hooks are idempotent: syncs caused by child events see the
// parent's previous status, and every sync calls the hook twice.
//
// Not emulated (rejected by LoadControllers where it is configuration):
// finalize hooks, hook version v2, generateSelector false, resyncPeriodSeconds,
// parent label selectors, adoption of orphans, cluster-scoped kinds, server
// side apply, and API server validation, defaulting and pruning (status
// fields the CRD does not declare are kept here but dropped by a real API
// server).
package runner
