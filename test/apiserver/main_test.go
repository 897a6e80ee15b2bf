package apiserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/humanlayer/kubechain/api/v1alpha1"
	"github.com/humanlayer/kubechain/test/cluster"
)

// root is the repository root, relative to this package's folder (go test's working directory).
const root = "../.."

// setupTimeout bounds the start of the shared cluster and the CRD install.
const setupTimeout = 2 * time.Minute

// shared is the one cluster of the package, started by the first test that
// needs it and stopped by TestMain.
var shared struct {
	once sync.Once
	c    *cluster.Cluster
	err  error
}

// TestMain runs the tests, then stops the shared cluster if one was started.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.c != nil {
		if err := shared.c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop test cluster:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// apiServer returns the package's cluster, with the kubechain CRDs Established,
// starting it on first use. It skips t in -short mode, and when the binaries
// are missing unless KUBECHAIN_REQUIRE_APISERVER is set (then it fails t).
func apiServer(t *testing.T) *cluster.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an API server")
	}
	opts := cluster.Options{WithControllerManager: true}
	if missing := opts.MissingBinaries(); len(missing) > 0 {
		msg := fmt.Sprintf("test cluster binaries missing: %s not in %s; run hack/testbin.sh (or set %s)",
			strings.Join(missing, ", "), opts.ResolveBinDir(), cluster.EnvBinDir)
		if requireAPIServer() {
			t.Fatalf("%s is set: %s", cluster.EnvRequire, msg)
		}
		t.Skip(msg)
	}
	shared.once.Do(func() { shared.c, shared.err = startShared(opts) })
	require.NoError(t, shared.err, "start the shared test cluster with crds/ installed")
	return shared.c
}

// startShared starts the cluster and installs crds/.
func startShared(opts cluster.Options) (*cluster.Cluster, error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	began := time.Now()
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	started := time.Since(began)
	steps := [][]string{
		{"apply", "--server-side", "--validate=strict", "-k", repoPath("crds")},
		{"wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"}, // only crds/ are installed yet
	}
	for _, args := range steps {
		if _, _, err := c.Kubectl(ctx, nil, args...); err != nil {
			return nil, errors.Join(fmt.Errorf("install crds/: %w", err), c.Stop())
		}
	}
	fmt.Fprintf(os.Stderr, "shared cluster: started in %s, CRDs Established after %s\n",
		started.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	return c, nil
}

// requireAPIServer reports whether KUBECHAIN_REQUIRE_APISERVER asks for the
// API-server tests to fail rather than skip, read as test/cluster reads it.
func requireAPIServer() bool {
	v := os.Getenv(cluster.EnvRequire)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// repoPath returns the absolute path of rel, relative to the repository root.
func repoPath(rel string) string {
	p, err := filepath.Abs(filepath.Join(root, rel))
	if err != nil {
		panic(err)
	}
	return p
}

// kubectl runs kubectl against c and fails t on a non-zero exit.
func kubectl(t *testing.T, c *cluster.Cluster, stdin []byte, args ...string) (stdout, stderr string) {
	t.Helper()
	out, errOut, err := c.Kubectl(t.Context(), stdin, args...)
	require.NoError(t, err)
	return string(out), string(errOut)
}

// object is a Kubernetes object as decoded from JSON.
type object = map[string]any

// resourcePath is the API path of the kubechain resource of kind in namespace
// ns, with name appended when it is not empty.
func resourcePath(kind, ns, name string) string {
	p := "/apis/" + v1alpha1.APIVersion + "/namespaces/" + ns + "/" + strings.ToLower(kind) + "s"
	if name != "" {
		p += "/" + name
	}
	return p
}

// do sends a request with c.Do, encoding body (if not nil) as JSON, and
// returns the status code and the decoded answer.
func do(t *testing.T, c *cluster.Cluster, method, path string, body any) (int, object) {
	t.Helper()
	var raw []byte
	if body != nil {
		var err error
		raw, err = json.Marshal(body)
		require.NoError(t, err)
	}
	code, resp, err := c.Do(t.Context(), method, path, raw)
	require.NoError(t, err, "%s %s", method, path)
	var out object
	require.NoError(t, json.Unmarshal(resp, &out), "%s %s answered %d %s", method, path, code, resp)
	return code, out
}

// mustDo is do that requires the status code want.
func mustDo(t *testing.T, c *cluster.Cluster, want int, method, path string, body any) object {
	t.Helper()
	code, out := do(t, c, method, path, body)
	require.Equal(t, want, code, "%s %s: %s", method, path, out["message"])
	return out
}

// createNamespace creates the namespace name.
func createNamespace(t *testing.T, c *cluster.Cluster, name string) {
	t.Helper()
	mustDo(t, c, http.StatusCreated, http.MethodPost, "/api/v1/namespaces",
		object{"apiVersion": "v1", "kind": "Namespace", "metadata": object{"name": name}})
}

var notNameChars = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsName turns s into a valid object or namespace name (a DNS label).
func dnsName(s string) string {
	s = notNameChars.ReplaceAllString(strings.ToLower(s), "-")
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.Trim(s, "-")
}

// diffMode says which differences jsonDiff reports.
type diffMode int

const (
	// exact reports every difference.
	exact diffMode = iota
	// ignoreDefaults ignores fields that were not sent but read back, as the
	// API server's defaulting adds them.
	ignoreDefaults
)

// jsonDiff lists the JSON paths at which got differs from want, each with
// both values, prefixed with path. Numbers compare by value (JSON decodes
// them all to float64).
func jsonDiff(mode diffMode, path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: sent an object, read back %s", path, compact(got))}
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var diffs []string
		for _, k := range keys {
			wv, inW := w[k]
			gv, inG := g[k]
			switch {
			case !inG:
				diffs = append(diffs, fmt.Sprintf("%s.%s: sent %s, missing when read back (pruned)", path, k, compact(wv)))
			case !inW:
				if mode == ignoreDefaults {
					continue
				}
				diffs = append(diffs, fmt.Sprintf("%s.%s: not sent, read back %s (defaulted)", path, k, compact(gv)))
			default:
				diffs = append(diffs, jsonDiff(mode, path+"."+k, wv, gv)...)
			}
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: sent an array, read back %s", path, compact(got))}
		}
		if len(w) != len(g) {
			return []string{fmt.Sprintf("%s: sent %d items, read back %d", path, len(w), len(g))}
		}
		var diffs []string
		for i := range w {
			diffs = append(diffs, jsonDiff(mode, fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return diffs
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: sent %s, read back %s", path, compact(want), compact(got))}
		}
		return nil
	}
}

// compact renders v as short JSON for a message.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const maxLen = 200
	if len(b) > maxLen {
		return string(b[:maxLen]) + "…"
	}
	return string(b)
}

// pollInterval is how often waitUntil checks its condition.
const pollInterval = 200 * time.Millisecond

// waitUntil checks cond until it reports done or timeout passes; then it
// fails t with what and cond's last explanation.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() (done bool, why string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		done, why := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out after "+timeout.String()+" waiting until "+what, why)
		}
		select {
		case <-t.Context().Done():
			require.FailNow(t, "test ended waiting until "+what, why)
		case <-tick.C:
		}
	}
}

// remarshal converts in to out through JSON.
func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
