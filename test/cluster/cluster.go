package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the Kubernetes version that hack/testbin.sh builds.
const Version = "v1.35.4"

// Environment variables read by this package.
const (
	// EnvBinDir names the folder with the binaries when Options.BinDir is
	// empty. hack/testbin.sh builds into the same folder.
	EnvBinDir = "KUBECHAIN_TESTBIN"
	// EnvRequire, when set to anything but a false value ("0", "false"),
	// makes StartForTest fail instead of skip when binaries are missing.
	// CI sets it so that a broken hack/testbin.sh cannot pass silently.
	EnvRequire = "KUBECHAIN_REQUIRE_APISERVER"
)

// Binary names looked up in the bin folder.
const (
	BinEtcd              = "etcd"
	BinAPIServer         = "kube-apiserver"
	BinControllerManager = "kube-controller-manager"
	BinKubectl           = "kubectl"
)

// ErrNoBinaries is wrapped by Start's error when a binary is missing.
var ErrNoBinaries = errors.New("test cluster binaries missing")

const (
	serviceCIDR          = "10.0.0.0/24"
	serviceIP            = "10.0.0.1" // the first address of serviceCIDR: the kubernetes Service
	defaultStartTimeout  = 2 * time.Minute
	stopGrace            = 5 * time.Second
	pollInterval         = 100 * time.Millisecond
	maxRetryAfterRetries = 10 // as client-go
)

// Options configures Start. The zero value starts etcd and kube-apiserver
// from the default bin folder.
type Options struct {
	// BinDir holds etcd, kube-apiserver, kube-controller-manager and
	// kubectl. Empty means $KUBECHAIN_TESTBIN, else DefaultBinDir().
	BinDir string
	// WithControllerManager also starts kube-controller-manager with the
	// garbagecollector and namespace controllers, so that owner references
	// cascade and deleted namespaces are emptied and go away.
	WithControllerManager bool
	// Log, if set, receives the output of every process, each line
	// prefixed with the process name, besides the log files in Dir/logs.
	Log io.Writer
	// StartTimeout bounds Start (together with its context). Zero means
	// two minutes.
	StartTimeout time.Duration
	// TempDir is the parent of the cluster's folder. Empty means
	// os.TempDir().
	TempDir string
	// APIServerArgs are appended to kube-apiserver's flags; a flag given
	// here overrides the one this package sets.
	APIServerArgs []string
	// ControllerManagerArgs are appended to kube-controller-manager's flags.
	ControllerManagerArgs []string
}

// DefaultBinDir is the folder the binaries are looked up in when neither
// Options.BinDir nor $KUBECHAIN_TESTBIN is set:
// $HOME/.cache/kubechain/testbin/<Version>.
func DefaultBinDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "kubechain", "testbin", Version)
}

// ResolveBinDir returns the folder Start would take the binaries from.
func (o Options) ResolveBinDir() string {
	if o.BinDir != "" {
		return o.BinDir
	}
	if d := os.Getenv(EnvBinDir); d != "" {
		return d
	}
	return DefaultBinDir()
}

// MissingBinaries lists the binaries that Start with these options needs
// but cannot find (or cannot execute).
func (o Options) MissingBinaries() []string {
	names := []string{BinEtcd, BinAPIServer, BinKubectl}
	if o.WithControllerManager {
		names = append(names, BinControllerManager)
	}
	dir := o.ResolveBinDir()
	var missing []string
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, n)
		}
	}
	return missing
}

// Cluster is a running control plane. Its exported fields are read-only.
type Cluster struct {
	// Kubeconfig is the path of a kubeconfig for the admin user (client
	// certificate auth, group system:masters), context namespace default.
	Kubeconfig string
	// Server is the API server's URL, https://127.0.0.1:<port>.
	Server string
	// Dir holds all state of the cluster (certificates, etcd data, logs);
	// Stop removes it.
	Dir string
	// BinDir is the folder the binaries were taken from.
	BinDir string
	// EtcdURL is etcd's client URL (plain HTTP on loopback).
	EtcdURL string
	// CAPEM is the PEM of the CA that signed the serving and client
	// certificates.
	CAPEM []byte
	// Client is an HTTP client that trusts CAPEM and authenticates with
	// the admin client certificate. Use it with Server for requests that Do
	// does not cover (watches, other content types).
	Client *http.Client

	log      io.Writer
	procs    []*proc
	stopOnce sync.Once
	stopErr  error
}

// Start runs etcd and kube-apiserver (and kube-controller-manager when
// opts.WithControllerManager is set) and returns once the API server's
// /readyz answers ok and the controller manager's /healthz does. ctx bounds
// only the start; cancelling it later does not stop the cluster: call Stop.
// On error everything started so far has been stopped and removed, and the
// error carries the end of the failing process's log.
//
// The ports are picked free but only bound by the processes a moment later,
// so another process may take one in between; Start then tries again with
// new ports, up to three times in all.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if missing := opts.MissingBinaries(); len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s not in %s (run hack/testbin.sh or set %s)",
			ErrNoBinaries, strings.Join(missing, ", "), opts.ResolveBinDir(), EnvBinDir)
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = defaultStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		c, err := start(ctx, opts)
		if err == nil || !errors.Is(err, errPortTaken) || attempt == 3 {
			return c, err
		}
		if opts.Log != nil {
			logMu.Lock()
			fmt.Fprintf(opts.Log, "cluster: port taken, starting again: %v\n", err)
			logMu.Unlock()
		}
	}
}

// errPortTaken is wrapped by start's error when a process could not bind
// its port.
var errPortTaken = errors.New("port taken")

func start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	began := time.Now()
	binDir := opts.ResolveBinDir()
	dir, err := os.MkdirTemp(opts.TempDir, "kubechain-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, BinDir: binDir, log: opts.Log, Kubeconfig: filepath.Join(dir, "kubeconfig")}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()
	for _, sub := range []string{"pki", "logs", "etcd", "apiserver", "controller-manager"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	p, err := genPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("generate certificates: %w", err)
	}
	c.CAPEM = p.caPEM
	if c.Client, err = newClient(p); err != nil {
		return nil, err
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, fmt.Errorf("pick ports: %w", err)
	}
	etcdPort, peerPort, apiPort, kcmPort := ports[0], ports[1], ports[2], ports[3]
	c.EtcdURL = fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	c.Server = fmt.Sprintf("https://127.0.0.1:%d", apiPort)

	// etcd: one member, loopback only, no fsync (the data is thrown away).
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	etcd, err := c.start(BinEtcd,
		"--name=kubechain-test",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+c.EtcdURL,
		"--advertise-client-urls="+c.EtcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubechain-test="+peerURL,
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	if err := waitFor(ctx, etcd, c.EtcdURL+"/health", plain, `"health":"true"`); err != nil {
		return nil, err
	}

	apiArgs := []string{
		"--etcd-servers=" + c.EtcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(apiPort),
		"--cert-dir=" + filepath.Join(dir, "apiserver"),
		"--tls-cert-file=" + p.servingCert,
		"--tls-private-key-file=" + p.servKey,
		"--client-ca-file=" + p.caCert,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.saPub,
		"--service-account-signing-key-file=" + p.saKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--authorization-mode=RBAC",
		// No service-account controllers run, so pods must not need a
		// ServiceAccount to be admitted.
		"--disable-admission-plugins=ServiceAccount",
		// The endpoints of the kubernetes Service would be 127.0.0.1, which
		// Endpoints validation rejects (an error every 10 s); nothing in
		// the tests needs them. Expect one "Found stale data" line instead.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	}
	api, err := c.start(BinAPIServer, append(apiArgs, opts.APIServerArgs...)...)
	if err != nil {
		return nil, err
	}
	if err := c.writeKubeconfig(p); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, api, c.Server+"/readyz", c.Client, "ok"); err != nil {
		return nil, err
	}

	if opts.WithControllerManager {
		kcmArgs := []string{
			"--kubeconfig=" + c.Kubeconfig,
			// Its own endpoints need no authentication (/healthz is
			// always allowed); skipping the lookup of the front-proxy CA,
			// which this cluster does not configure, keeps the log quiet.
			"--authentication-kubeconfig=" + c.Kubeconfig,
			"--authentication-skip-lookup",
			"--authorization-kubeconfig=" + c.Kubeconfig,
			"--leader-elect=false",
			"--controllers=garbagecollector,namespace",
			"--use-service-account-credentials=false",
			"--service-account-private-key-file=" + p.saKey,
			"--root-ca-file=" + p.caCert,
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(kcmPort),
			"--cert-dir=" + filepath.Join(dir, "controller-manager"),
			"--tls-cert-file=" + p.servingCert,
			"--tls-private-key-file=" + p.servKey,
			"--profiling=false",
		}
		kcm, err := c.start(BinControllerManager, append(kcmArgs, opts.ControllerManagerArgs...)...)
		if err != nil {
			return nil, err
		}
		kcmURL := fmt.Sprintf("https://127.0.0.1:%d/healthz", kcmPort)
		if err := waitFor(ctx, kcm, kcmURL, c.Client, "ok"); err != nil {
			return nil, err
		}
	}
	c.logf("cluster: ready in %s (server %s, dir %s)", time.Since(began).Round(time.Millisecond), c.Server, dir)
	return c, nil
}

// StartForTest starts a cluster for t and stops it when t ends. When
// binaries are missing it skips t, or fails it if KUBECHAIN_REQUIRE_APISERVER
// is set. When t has failed by the time it ends, the last lines of every
// process's log are written to t's log before the cluster folder is removed.
func StartForTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if missing := opts.MissingBinaries(); len(missing) > 0 {
		msg := fmt.Sprintf("test cluster binaries missing: %s not in %s; run hack/testbin.sh (or set %s)",
			strings.Join(missing, ", "), opts.ResolveBinDir(), EnvBinDir)
		if required() {
			t.Fatalf("%s is set: %s", EnvRequire, msg)
		}
		t.Skip(msg)
	}
	c, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("start test cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range c.procs {
				t.Logf("last lines of %s's log:\n%s", p.name, p.tail())
			}
		}
		if err := c.Stop(); err != nil {
			t.Errorf("stop test cluster: %v", err)
		}
	})
	return c
}

func required() bool {
	v := os.Getenv(EnvRequire)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// Stop ends every process the cluster started (their whole process groups:
// SIGTERM, then SIGKILL after a few seconds) and removes Dir. It is safe to
// call more than once; later calls return the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		for i := len(c.procs) - 1; i >= 0; i-- {
			errs = append(errs, c.procs[i].stop())
		}
		if c.Client != nil {
			c.Client.CloseIdleConnections()
		}
		if c.Dir != "" {
			errs = append(errs, os.RemoveAll(c.Dir))
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// Kubectl runs kubectl against the cluster with args, feeding it stdin when
// stdin is not nil. A non-zero exit gives an error that includes stderr.
func (c *Cluster) Kubectl(ctx context.Context, stdin []byte, args ...string) (stdout, stderr []byte, err error) {
	full := append([]string{
		"--kubeconfig=" + c.Kubeconfig,
		"--cache-dir=" + filepath.Join(c.Dir, "kubectl-cache"),
	}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, BinKubectl), full...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.Bytes(), errOut.Bytes(), fmt.Errorf("kubectl %s: %w: %s",
			strings.Join(args, " "), err, bytes.TrimSpace(errOut.Bytes()))
	}
	return out.Bytes(), errOut.Bytes(), nil
}

// Do sends one request to the API server as the admin user and returns the
// status code and body. path is everything after the host, query included
// ("/api/v1/namespaces?limit=1"). A non-nil body is sent as
// application/json, or as application/merge-patch+json for PATCH. Answers
// 429 are retried after their Retry-After (up to 10 times, as client-go
// does); every other status is returned as is, with a nil error.
func (c *Cluster) Do(ctx context.Context, method, path string, body []byte) (status int, respBody []byte, err error) {
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.Server+path, rd)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			ct := "application/json"
			if method == http.MethodPatch {
				ct = "application/merge-patch+json"
			}
			req.Header.Set("Content-Type", ct)
		}
		resp, err := c.Client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		respBody, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || attempt >= maxRetryAfterRetries {
			return resp.StatusCode, respBody, err
		}
		wait := time.Second
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			wait = time.Duration(s) * time.Second
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return resp.StatusCode, respBody, ctx.Err()
		case <-timer.C:
		}
	}
}

// LogFile returns the path of the log of the named process (BinEtcd,
// BinAPIServer, BinControllerManager); it is removed by Stop.
func (c *Cluster) LogFile(name string) string {
	return filepath.Join(c.Dir, "logs", name+".log")
}

func (c *Cluster) logf(format string, args ...any) {
	if c.log == nil {
		return
	}
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(c.log, format+"\n", args...)
}

func newClient(p *pki) (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.caPEM) {
		return nil, errors.New("parse generated CA")
	}
	cert, err := tls.X509KeyPair(p.clientCertPEM, p.clientKeyPEM)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // loopback; never via HTTPS_PROXY
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, nil
}

func (c *Cluster) writeKubeconfig(p *pki) error {
	b64 := base64.StdEncoding.EncodeToString
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubechain-test
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kubechain-test
  context:
    cluster: kubechain-test
    user: %s
    namespace: default
current-context: kubechain-test
`, c.Server, b64(p.caPEM), AdminUser, b64(p.clientCertPEM), b64(p.clientKeyPEM), AdminUser)
	return os.WriteFile(c.Kubeconfig, []byte(kc), 0o600)
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitFor polls url with client until it answers 200 with a body that
// contains want, p exits, or ctx ends.
func waitFor(ctx context.Context, p *proc, url string, client *http.Client, want string) error {
	last := "no answer yet"
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		reqCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, url, nil)
		if err != nil {
			cancel()
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), want) {
				cancel()
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(body))
		} else {
			last = err.Error()
		}
		cancel()
		select {
		case <-p.done:
			tail := p.tail()
			err := fmt.Errorf("%s exited while waiting for %s (%v); last lines of its log:\n%s",
				p.name, url, p.waitErr, tail)
			if strings.Contains(tail, "address already in use") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s: %w; last answer: %s; last lines of its log:\n%s",
				p.name, url, ctx.Err(), last, p.tail())
		case <-tick.C:
		}
	}
}

// logMu serialises writes to Options.Log across processes and clusters.
var logMu sync.Mutex

// proc is one process the cluster started.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	prefix  *prefixWriter // nil when Options.Log is nil
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done
}

func (c *Cluster) start(name string, args ...string) (*proc, error) {
	p := &proc{name: name, logPath: c.LogFile(name), done: make(chan struct{})}
	f, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	p.logFile = f
	cmd := exec.Command(filepath.Join(c.BinDir, name), args...)
	cmd.Dir = c.Dir
	var out io.Writer = f
	if c.log != nil {
		p.prefix = &prefixWriter{w: c.log, prefix: "[" + name + "] "}
		out = io.MultiWriter(f, p.prefix)
	}
	cmd.Stdout, cmd.Stderr = out, out
	setProcAttrs(cmd)
	fmt.Fprintf(f, "+ %s %s\n", cmd.Path, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p.cmd = cmd
	c.procs = append(c.procs, p)
	go func() {
		p.waitErr = cmd.Wait()
		if p.prefix != nil {
			p.prefix.flush()
		}
		close(p.done)
	}()
	return p, nil
}

// stop ends the process group gracefully, or forcibly after stopGrace.
func (p *proc) stop() error {
	defer p.logFile.Close()
	select {
	case <-p.done:
		return nil // already gone; how it ended is in its log
	default:
	}
	if err := terminate(p.cmd); err != nil {
		_ = kill(p.cmd)
	}
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	if err := kill(p.cmd); err != nil {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// tail returns the last lines of the process's log.
func (p *proc) tail() string {
	const maxBytes, maxLines = 16 << 10, 40
	f, err := os.Open(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		_, _ = f.Seek(-maxBytes, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "\n")
}

// prefixWriter writes whole lines to w, each behind prefix. One process
// writes to it at a time (exec copies stdout and stderr in one goroutine
// when they are the same writer).
type prefixWriter struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func (pw *prefixWriter) Write(b []byte) (int, error) {
	pw.buf = append(pw.buf, b...)
	for {
		i := bytes.IndexByte(pw.buf, '\n')
		if i < 0 {
			break
		}
		pw.emit(pw.buf[:i+1])
		pw.buf = pw.buf[i+1:]
	}
	return len(b), nil
}

func (pw *prefixWriter) flush() {
	if len(pw.buf) > 0 {
		pw.emit(append(pw.buf, '\n'))
		pw.buf = nil
	}
}

// emit writes prefix and line in one Write, for writers that take each
// Write as a line.
func (pw *prefixWriter) emit(line []byte) {
	b := make([]byte, 0, len(pw.prefix)+len(line))
	b = append(append(b, pw.prefix...), line...)
	logMu.Lock()
	defer logMu.Unlock()
	_, _ = pw.w.Write(b)
}
