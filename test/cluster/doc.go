// Package cluster runs a real, throw-away Kubernetes control plane for tests:
// etcd, kube-apiserver and, on request, kube-controller-manager with the
// garbage collector and namespace controllers. There is no kubelet and no
// scheduler, so pods never run; everything that lives in the API (CRDs,
// ConfigMaps, RBAC, owner references and cascading deletion, namespace
// finalization) behaves as in a real cluster.
//
// The binaries come from hack/testbin.sh, which builds them with nothing but
// Go into ${KUBECHAIN_TESTBIN:-$HOME/.cache/kubechain/testbin/v1.35.4}.
// Only the standard library is used here, so the product module does not
// depend on client-go.
//
// A test starts a cluster with [StartForTest], which skips the test when the
// binaries are missing (or fails it when KUBECHAIN_REQUIRE_APISERVER is set)
// and stops the cluster when the test ends:
//
//	c := cluster.StartForTest(t, cluster.Options{WithControllerManager: true})
//	out, _, err := c.Kubectl(ctx, nil, "get", "namespaces", "-o", "name")
//	status, body, err := c.Do(ctx, "GET", "/api/v1/namespaces/default", nil)
//
// Every start generates its own CA, serving certificate, admin client
// certificate (user kubechain-admin in group system:masters) and
// service-account signing key, picks free loopback ports, and keeps all state
// in one temporary folder that [Cluster.Stop] removes.
//
// Things a test should expect from a real API server: the first create of a
// custom resource right after its CRD reports Established can take about two
// seconds, and the first list or watch of a new CRD may answer 429 with
// Retry-After (Do retries those, as client-go does). Wait on conditions
// with a deadline, never on fixed sleeps.
package cluster
