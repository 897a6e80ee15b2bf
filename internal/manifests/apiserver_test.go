package manifests_test

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/humanlayer/kubechain/test/cluster"
)

// TestManifestsOnAPIServer installs crds/ and samples/ into a real API server
// with strict field validation. It needs the binaries of hack/testbin.sh and
// skips without them (fails when KUBECHAIN_REQUIRE_APISERVER is set).
func TestManifestsOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	c := cluster.StartForTest(t, cluster.Options{})
	kubectl := func(t *testing.T, args ...string) (stdout, stderr string) {
		t.Helper()
		out, errOut, err := c.Kubectl(t.Context(), nil, args...)
		require.NoError(t, err)
		return string(out), string(errOut)
	}
	path := func(rel string) string {
		p, err := filepath.Abs(filepath.Join(root, rel))
		require.NoError(t, err)
		return p
	}

	kubectl(t, "apply", "--validate=strict", "-k", path("crds"))
	kubectl(t, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")

	t.Run("samples apply and list", func(t *testing.T) {
		const ns = "samples"
		kubectl(t, "create", "namespace", ns)
		_, stderr := kubectl(t, "apply", "--validate=strict", "-n", ns, "-k", path("samples"))
		assert.Empty(t, stderr, "warnings from the API server")

		var want []string
		for _, s := range readSamples(t) {
			want = append(want, strings.ToLower(s.kind)+".kubechain.humanlayer.dev/"+s.obj.GetName())
		}
		sort.Strings(want)
		out, _ := kubectl(t, "get", "kubechain", "-n", ns, "-o", "name")
		got := strings.Fields(out)
		sort.Strings(got)
		assert.Equal(t, want, got, "kubectl get kubechain lists every sample")
	})

	t.Run("printer columns", func(t *testing.T) {
		tests := []struct {
			resource string
			header   []string
			row      []string
		}{
			{resource: "llm/gpt-4o", header: []string{"NAME", "PROVIDER", "MODEL", "READY", "STATUS", "DETAIL", "AGE"}, row: []string{"gpt-4o", "openai", "gpt-4o"}},
			{resource: "agent/project-manager", header: []string{"NAME", "LLM", "READY", "STATUS", "DETAIL", "AGE"}, row: []string{"project-manager", "gpt-4o"}},
			{resource: "tool/delegate-to-calculator-operator", header: []string{"NAME", "TYPE", "READY", "STATUS", "DETAIL", "AGE"}, row: []string{"delegate-to-calculator-operator", "delegateToAgent"}},
			{resource: "cc/contact-manager-in-slack", header: []string{"NAME", "SLACK", "READY", "STATUS", "DETAIL", "AGE"}, row: []string{"contact-manager-in-slack", "U0711111111"}},
			{resource: "task/add-task", header: []string{"NAME", "AGENT", "PHASE", "STATUS", "OUTPUT", "AGE"}, row: []string{"add-task", "project-manager"}},
		}
		for _, tt := range tests {
			t.Run(tt.resource, func(t *testing.T) {
				out, _ := kubectl(t, "get", tt.resource, "-n", "samples")
				lines := strings.Split(strings.TrimSpace(out), "\n")
				require.Len(t, lines, 2, out)
				assert.Equal(t, tt.header, strings.Fields(lines[0]))
				row := strings.Fields(lines[1])
				require.GreaterOrEqual(t, len(row), len(tt.row), out)
				assert.Equal(t, tt.row, row[:len(tt.row)])
			})
		}
	})

	t.Run("hook server meets the restricted pod security standard", func(t *testing.T) {
		_, stderr := kubectl(t, "apply", "--validate=strict",
			"-f", path("deploy/namespace.yaml"), "-f", path("deploy/hookserver.yaml"))
		// The namespace enforces "restricted"; for a Deployment the API server
		// answers with a warning naming every violation.
		assert.NotContains(t, stderr, "PodSecurity")
		out, _ := kubectl(t, "get", "deployment,service", "-n", "kubechain", "-o", "name")
		assert.Equal(t, []string{"deployment.apps/kubechain-hookserver", "service/kubechain-hookserver"}, strings.Fields(out))
	})

	t.Run("deploy kustomizations build", func(t *testing.T) {
		out, _ := kubectl(t, "kustomize", path("deploy"))
		assert.Contains(t, out, "kind: Deployment")
		assert.Equal(t, len(newObject), strings.Count(out, "kind: CustomResourceDefinition"))

		out, _ = kubectl(t, "kustomize", path("deploy/out-of-cluster"))
		assert.NotContains(t, out, "kind: Deployment", "the hook server runs outside the cluster")
		assert.NotContains(t, out, "service:", "every hook is rewritten to a url")
		assert.Contains(t, out, "url: http://HOST:8080/sync/taskrun")
	})
}
