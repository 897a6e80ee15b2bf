package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
	"github.com/humanlayer/kubechain/hooks"
	"github.com/humanlayer/kubechain/internal/demollm"
	"github.com/humanlayer/kubechain/internal/fakeopenai"
	"github.com/humanlayer/kubechain/internal/llmclient"
	"github.com/humanlayer/kubechain/internal/local"
	"github.com/humanlayer/kubechain/internal/runner"
	"github.com/humanlayer/kubechain/internal/slackclient"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// RunConfig configures `hookserver run`.
type RunConfig struct {
	Files       []string
	Controllers string
	FakeLLM     bool
	FakeSlack   bool
	Stale       bool
	Timeout     time.Duration
	Verbose     bool
	APIKey      string
}

// ParseRunFlags parses `hookserver run` flags.
func ParseRunFlags(args []string, getenv func(string) string, output io.Writer) (RunConfig, error) {
	var cfg RunConfig
	var files stringList
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Var(&files, "f", "a YAML file or folder of kubechain objects (repeatable), e.g. samples/")
	fs.StringVar(&cfg.Controllers, "controllers", "metacontroller", "folder of CompositeController configs")
	fs.BoolVar(&cfg.FakeLLM, "fake-llm", false, "answer every LLM with the built-in deterministic calculator model (no key, no network)")
	fs.BoolVar(&cfg.FakeSlack, "fake-slack", false, "accept every Slack bot token without calling Slack")
	fs.BoolVar(&cfg.Stale, "stale", false, "hand hooks stale parents and repeat every sync, as Metacontroller can")
	fs.DurationVar(&cfg.Timeout, "timeout", 5*time.Minute, "give up when the tasks have not finished by then")
	fs.BoolVar(&cfg.Verbose, "v", false, "log the hooks at debug level to stderr")
	fs.Usage = func() {
		fmt.Fprintln(output, "usage: hookserver run -f FILE_OR_DIR [-f ...] [flags]\n\nRuns kubechain's hooks the way Metacontroller does, over objects held in memory,\nprinting each phase transition and the tasks' final answers. OPENAI_API_KEY, when set,\nreplaces the value of every Secret key named OPENAI_API_KEY in the loaded objects.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("run: unexpected argument %q", fs.Arg(0))
	}
	if len(files) == 0 {
		return cfg, errors.New("run: name the objects to load with -f (e.g. -f samples/)")
	}
	if cfg.Timeout <= 0 {
		return cfg, errors.New("run: --timeout must be positive")
	}
	cfg.Files = files
	cfg.APIKey = getenv("OPENAI_API_KEY")
	return cfg, nil
}

// Run loads the objects, drives the hooks until every Task has finished, and
// prints what happened. It fails when a Task failed or did not finish.
func Run(ctx context.Context, cfg RunConfig, stdout io.Writer, logger *slog.Logger) error {
	objs, err := runner.LoadObjects(cfg.Files...)
	if err != nil {
		return err
	}
	if cfg.APIKey != "" {
		setSecretKey(objs, "OPENAI_API_KEY", cfg.APIKey)
	}
	deps := hooks.Deps{
		LLMs:  llmclient.Factory(llmclient.NewHTTPClient(2 * time.Minute)),
		Slack: slackclient.Factory("", &http.Client{Timeout: 10 * time.Second}),
	}
	if cfg.FakeLLM {
		llm := local.NewFakeLLM(nil)
		defer llm.Close()
		deps.LLMs = llm.Factory()
		fmt.Fprintf(stdout, "using the built-in calculator model at %s for every LLM (--fake-llm)\n", llm.BaseURL())
	}
	if cfg.FakeSlack {
		deps.Slack = local.OfflineSlack()
	}
	start := time.Now()
	p := &printer{w: stdout, start: start, last: map[string]string{}}
	r, err := local.New(local.Options{ControllersDir: cfg.Controllers, Deps: deps, Stale: cfg.Stale, Logger: logger, OnEvent: p.event})
	if err != nil {
		return err
	}
	if err := r.Apply(objs...); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	runErr := r.Run(ctx, local.TasksDone)

	st := r.Stats()
	fmt.Fprintf(stdout, "\n%d syncs, %d hook calls, %d API requests a real Metacontroller would have made, %s\n",
		st.Syncs, sum(st.HookCalls), st.APIRequests, time.Since(start).Round(time.Millisecond))
	var failed []string
	tasks := r.List("Task")
	for _, t := range tasks {
		s := t.Status()
		phase, _ := s["phase"].(string)
		out, _ := s["output"].(string)
		detail, _ := s["statusDetail"].(string)
		fmt.Fprintf(stdout, "Task %s: %s\n", t.Name(), orDash(phase))
		switch v1.Phase(phase) {
		case v1.TaskRunPhaseFinalAnswer:
			fmt.Fprintf(stdout, "  %s\n", out)
		default:
			fmt.Fprintf(stdout, "  %s\n", detail)
			failed = append(failed, t.Name())
		}
	}
	if runErr != nil {
		return runErr
	}
	if len(tasks) == 0 {
		return errors.New("run: the files define no Task")
	}
	if len(failed) > 0 {
		return fmt.Errorf("run: task(s) without a final answer: %s", strings.Join(failed, ", "))
	}
	return nil
}

// printer prints a line whenever an object's phase or status changes.
type printer struct {
	w     io.Writer
	start time.Time
	last  map[string]string
}

func (p *printer) event(e runner.Event) {
	switch e.Type {
	case runner.EventSyncError:
		fmt.Fprintf(p.w, "%8s  %-40s hook %s failed (%d): %s\n", p.since(), e.Kind+"/"+e.Name, e.Path, e.Code, strings.TrimSpace(e.Reason))
		return
	case runner.EventStatusWritten:
	default:
		return
	}
	var st struct {
		Phase        string `json:"phase"`
		Status       string `json:"status"`
		StatusDetail string `json:"statusDetail"`
	}
	if json.Unmarshal(e.Status, &st) != nil {
		return
	}
	key := e.Kind + "/" + e.Name
	line := fmt.Sprintf("%-18s %-8s %s", orDash(st.Phase), st.Status, st.StatusDetail)
	if p.last[key] == line {
		return
	}
	p.last[key] = line
	fmt.Fprintf(p.w, "%8s  %-40s %s\n", p.since(), key, line)
}

func (p *printer) since() string { return time.Since(p.start).Round(time.Millisecond).String() }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// setSecretKey sets key in every Secret that has it, as a stringData value
// (the runner folds stringData into data as the API server does).
func setSecretKey(objs []runner.Object, key, value string) {
	for _, o := range objs {
		if o.Kind() != "Secret" {
			continue
		}
		data, _ := o["data"].(map[string]any)
		sdata, _ := o["stringData"].(map[string]any)
		_, inData := data[key]
		_, inString := sdata[key]
		if !inData && !inString {
			continue
		}
		delete(data, key)
		if sdata == nil {
			sdata = map[string]any{}
			o["stringData"] = sdata
		}
		sdata[key] = value
	}
}

// FakeLLMConfig configures `hookserver fake-llm`.
type FakeLLMConfig struct {
	Addr string
}

// ParseFakeLLMFlags parses `hookserver fake-llm` flags.
func ParseFakeLLMFlags(args []string, output io.Writer) (FakeLLMConfig, error) {
	var cfg FakeLLMConfig
	fs := flag.NewFlagSet("fake-llm", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8081", "listen address")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// ServeFakeLLM serves the deterministic calculator model over the OpenAI API
// (set an LLM's config.baseURL to http://ADDR/v1) until ctx ends.
func ServeFakeLLM(ctx context.Context, cfg FakeLLMConfig, stdout io.Writer, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: fakeopenai.NewServer(fakeopenai.Options{Handler: demollm.Calculator()}), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "fake LLM listening: set config.baseURL to http://%s/v1\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("fake LLM stopped")
	return nil
}
