// Package apiserver holds the tests that hold kubechain's manifests and hook
// output against a real kube-apiserver. It has no code of its own.
//
// One control plane (etcd, kube-apiserver and kube-controller-manager with the
// garbage collector, from hack/testbin.sh via test/cluster) is started for the
// whole package, with the CRDs of crds/ installed. The tests check that:
//   - the real Metacontroller CRDs install, every CompositeController in
//     metacontroller/ (and the deploy/out-of-cluster rendering) passes strict
//     server-side validation and reads back unchanged, its parent and child
//     resources are kubechain CRDs with the status subresource, and its hooks
//     name routes of the hook server with timeouts that fit the hook server's;
//   - invalid objects are rejected with a message that names the field;
//   - every status a hook's golden response writes survives the status
//     subresource unchanged (no pruned or coerced field, which would make
//     Metacontroller rewrite the status on every sync);
//   - every child a hook's golden response asks for is accepted and reads back
//     unchanged, and a second create of it answers AlreadyExists;
//   - deleting a Task removes its TaskRun → TaskRunToolCall → TaskRun tree
//     through owner references, as Metacontroller sets them.
//
// The tests skip in -short mode and when the binaries are missing, unless
// KUBECHAIN_REQUIRE_APISERVER is set. The Metacontroller CRDs are looked up in
// $KUBECHAIN_SHARED, then ../shared next to the repository, then /work/shared.
package apiserver
