package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/humanlayer/kubechain/test/cluster"
)

// TestCluster starts one cluster with the controller manager and runs the
// checks against it.
func TestCluster(t *testing.T) {
	began := time.Now()
	c := cluster.StartForTest(t, cluster.Options{WithControllerManager: true})
	t.Logf("cluster with controller manager ready in %s", time.Since(began).Round(time.Millisecond))

	t.Run("GarbageCollection", func(t *testing.T) { testGarbageCollection(t, c) })
	t.Run("CustomResource", func(t *testing.T) { testCustomResource(t, c) })
}

// testGarbageCollection checks that deleting an owner makes the garbage
// collector delete its dependent.
func testGarbageCollection(t *testing.T, c *cluster.Cluster) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	status, body, err := c.Do(ctx, http.MethodGet, "/version", nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET /version: %d %s %v", status, body, err)
	}
	var ver struct{ GitVersion string }
	if err := json.Unmarshal(body, &ver); err != nil || ver.GitVersion != cluster.Version {
		t.Errorf("server version %q (%v), want %s", ver.GitVersion, err, cluster.Version)
	}

	const ns = "gc-test"
	if _, _, err := c.Kubectl(ctx, nil, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
	owner := []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: owner
  namespace: gc-test
data:
  role: owner
`)
	if _, _, err := c.Kubectl(ctx, owner, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	out, _, err := c.Kubectl(ctx, nil, "get", "configmap", "owner", "-n", ns, "-o", "jsonpath={.metadata.uid}")
	if err != nil {
		t.Fatal(err)
	}
	uid := strings.TrimSpace(string(out))
	if uid == "" {
		t.Fatal("owner has no uid")
	}

	dependent := fmt.Sprintf(`{
  "apiVersion": "v1", "kind": "ConfigMap",
  "metadata": {"name": "dependent", "ownerReferences": [
    {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": %q}
  ]},
  "data": {"role": "dependent"}
}`, uid)
	path := "/api/v1/namespaces/" + ns + "/configmaps"
	status, body, err = c.Do(ctx, http.MethodPost, path, []byte(dependent))
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create dependent: %d %s %v", status, body, err)
	}

	if _, _, err := c.Kubectl(ctx, nil, "delete", "configmap", "owner", "-n", ns, "--wait=true"); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	for {
		status, body, err := c.Do(ctx, http.MethodGet, path+"/dependent", nil)
		if err != nil {
			t.Fatalf("dependent still there when the deadline passed (last: %d %s): %v", status, body, err)
		}
		if status == http.StatusNotFound {
			break
		}
		if status != http.StatusOK {
			t.Fatalf("GET dependent: %d %s", status, body)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("garbage collector did not delete the dependent: %v", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Logf("garbage collector removed the dependent %s after the owner was deleted",
		time.Since(deleted).Round(time.Millisecond))
}

// testCustomResource creates a CRD, waits until it is Established and then
// lists, creates and patches a custom resource through Do (whose retry of
// 429 answers covers the first list of a new CRD).
func testCustomResource(t *testing.T, c *cluster.Cluster) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	crd := []byte(`{
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "widgets.example.com"},
  "spec": {
    "group": "example.com", "scope": "Namespaced",
    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
    "versions": [{"name": "v1", "served": true, "storage": true,
      "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
  }
}`)
	crdPath := "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	if status, body, err := c.Do(ctx, http.MethodPost, crdPath, crd); err != nil || status != http.StatusCreated {
		t.Fatalf("create CRD: %d %s %v", status, body, err)
	}
	for {
		status, body, err := c.Do(ctx, http.MethodGet, crdPath+"/widgets.example.com", nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("get CRD: %d %s %v", status, body, err)
		}
		var got struct {
			Status struct {
				Conditions []struct{ Type, Status string }
			}
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		established := false
		for _, cond := range got.Status.Conditions {
			established = established || cond.Type == "Established" && cond.Status == "True"
		}
		if established {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("CRD not Established: %s", body)
		case <-time.After(50 * time.Millisecond):
		}
	}

	widgets := "/apis/example.com/v1/namespaces/default/widgets"
	if status, body, err := c.Do(ctx, http.MethodGet, widgets, nil); err != nil || status != http.StatusOK {
		t.Fatalf("list widgets: %d %s %v", status, body, err)
	}
	w := []byte(`{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}`)
	if status, body, err := c.Do(ctx, http.MethodPost, widgets, w); err != nil || status != http.StatusCreated {
		t.Fatalf("create widget: %d %s %v", status, body, err)
	}
	status, body, err := c.Do(ctx, http.MethodPatch, widgets+"/w", []byte(`{"spec": {"size": 3}}`))
	if err != nil || status != http.StatusOK || !strings.Contains(string(body), `"size":3`) {
		t.Fatalf("merge-patch widget: %d %s %v", status, body, err)
	}
	out, _, err := c.Kubectl(ctx, nil, "get", "widgets", "-o", "name")
	if err != nil || strings.TrimSpace(string(out)) != "widget.example.com/w" {
		t.Fatalf("kubectl get widgets: %q %v", out, err)
	}
}

// TestStartFailureCleansUp checks that a start that fails half-way (here:
// kube-apiserver exits at once) stops etcd and removes the cluster folder.
func TestStartFailureCleansUp(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	real := cluster.Options{}
	if missing := real.MissingBinaries(); len(missing) > 0 {
		// Let StartForTest decide between skip and fail.
		cluster.StartForTest(t, real)
		return
	}
	bin := t.TempDir()
	for _, name := range []string{cluster.BinEtcd, cluster.BinKubectl} {
		if err := os.Symlink(filepath.Join(real.ResolveBinDir(), name), filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	fake := "#!/bin/sh\necho 'fake kube-apiserver: boom' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(bin, cluster.BinAPIServer), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()

	c, err := cluster.Start(t.Context(), cluster.Options{BinDir: bin, TempDir: parent, StartTimeout: time.Minute})
	if err == nil {
		c.Stop()
		t.Fatal("Start succeeded with a kube-apiserver that exits")
	}
	if !strings.Contains(err.Error(), "boom") {
		t.Errorf("error does not show the failing process's log: %v", err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 0 {
		t.Errorf("cluster folder left behind: %v", entries)
	}
	if pids := processesMentioning(parent); len(pids) > 0 {
		t.Errorf("processes left running: %v", pids)
	}

	// A missing binary is reported as such.
	_, err = cluster.Start(t.Context(), cluster.Options{BinDir: t.TempDir()})
	if !errors.Is(err, cluster.ErrNoBinaries) {
		t.Errorf("Start with an empty bin folder: %v, want ErrNoBinaries", err)
	}
}

// TestStartRetriesTakenPort checks that Start picks new ports and tries
// again when a process cannot bind its port, and gives up after three tries.
func TestStartRetriesTakenPort(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses shell scripts as fake binaries")
	}
	bin, parent := t.TempDir(), t.TempDir()
	tries := filepath.Join(t.TempDir(), "tries")
	scripts := map[string]string{
		cluster.BinEtcd: "#!/bin/sh\necho try >> '" + tries + "'\n" +
			"echo 'listen tcp 127.0.0.1:2379: bind: address already in use' >&2\nexit 1\n",
		cluster.BinAPIServer: "#!/bin/sh\nexit 1\n",
		cluster.BinKubectl:   "#!/bin/sh\nexit 1\n",
	}
	for name, script := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, err := cluster.Start(t.Context(), cluster.Options{BinDir: bin, TempDir: parent, StartTimeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Start: %v, want an error about the port", err)
	}
	b, _ := os.ReadFile(tries)
	if n := strings.Count(string(b), "try"); n != 3 {
		t.Errorf("etcd started %d times, want 3", n)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("cluster folders left behind: %v", entries)
	}
}

// processesMentioning lists the pids whose command line contains s.
func processesMentioning(s string) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []string
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err == nil && strings.Contains(string(b), s) {
			pids = append(pids, filepath.Base(d))
		}
	}
	return pids
}
