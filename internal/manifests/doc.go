// Package manifests holds the tests that keep the YAML of the repository in
// line with the Go API in api/v1alpha1. It has no code of its own.
//
// The tests check that:
//   - every document in samples/ is a kubechain object that decodes strictly
//     (unknown fields and unknown kinds fail) into its Go type, is valid
//     against the generated CRD in crds/, and names only objects, builtins and
//     Secrets that the samples define;
//   - samples/kustomization.yaml lists every sample file, and the Secret
//     template samples/secrets.example.yaml holds placeholders only and is not
//     listed;
//   - crds/ has one CRD per kind and crds/kustomization.yaml lists them all;
//   - deploy/out-of-cluster rewrites every hook of every CompositeController
//     in metacontroller/ to a url;
//   - with the API-server binaries of hack/testbin.sh (skipped otherwise, and
//     in -short mode): the CRDs install, the samples apply with strict field
//     validation and show in `kubectl get kubechain`, the hook server
//     Deployment passes the restricted Pod Security Standard, and both deploy/
//     kustomizations build.
package manifests
