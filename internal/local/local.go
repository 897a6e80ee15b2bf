package local

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
	"github.com/humanlayer/kubechain/hooks"
	"github.com/humanlayer/kubechain/internal/demollm"
	"github.com/humanlayer/kubechain/internal/fakeopenai"
	"github.com/humanlayer/kubechain/internal/llmclient"
	"github.com/humanlayer/kubechain/internal/runner"
)

// Options configures a local kubechain.
type Options struct {
	// ControllersDir holds the CompositeControllers (metacontroller/).
	ControllersDir string
	// Deps are the hooks' dependencies; Deps.LLMs is required, Deps.Now defaults to the runner's clock.
	Deps hooks.Deps
	// Stale hands hooks stale parents and repeats every sync, as Metacontroller can.
	Stale bool
	// Logger receives the hooks' and the runner's logs; nil discards them.
	Logger *slog.Logger
	// OnEvent observes what the emulated Metacontroller does.
	OnEvent func(runner.Event)
}

// Resources maps kubechain's kinds (and Secrets) to their resources.
func Resources() []runner.Resource {
	out := []runner.Resource{{Kind: "Secret", Resource: "secrets", APIVersion: "v1"}}
	for _, k := range []struct{ kind, plural string }{
		{"LLM", "llms"}, {"Agent", "agents"}, {"Tool", "tools"}, {"ToolSet", "toolsets"},
		{"ContactChannel", "contactchannels"}, {"Task", "tasks"}, {"TaskRun", "taskruns"}, {"TaskRunToolCall", "taskruntoolcalls"},
	} {
		out = append(out, runner.Resource{Kind: k.kind, Resource: k.plural, APIVersion: v1.APIVersion})
	}
	return out
}

// New returns a runner wired to kubechain's hooks.
func New(opts Options) (*runner.Runner, error) {
	if opts.Deps.LLMs == nil {
		return nil, fmt.Errorf("local: Deps.LLMs is required")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctls, err := runner.LoadControllers(opts.ControllersDir)
	if err != nil {
		return nil, err
	}
	clock := runner.NewClock(time.Now().UTC())
	deps := opts.Deps
	if deps.Now == nil {
		deps.Now = clock.Now
	}
	mux := http.NewServeMux()
	for _, r := range hooks.New(deps, logger).Routes(nil, logger) {
		mux.Handle("POST "+r.Path, r.Handler)
	}
	return runner.New(runner.Options{
		Controllers: ctls,
		Hooks:       mux,
		Resources:   Resources(),
		Clock:       clock,
		Stale:       opts.Stale,
		Horizon:     10 * time.Minute,
		OnEvent:     opts.OnEvent,
		Logger:      logger,
	})
}

// TasksDone reports whether every Task has finished (FinalAnswer or Failed).
func TasksDone(r *runner.Runner) bool {
	tasks := r.List("Task")
	if len(tasks) == 0 {
		return false
	}
	for _, t := range tasks {
		switch phase, _ := t.Status()["phase"].(string); v1.Phase(phase) {
		case v1.TaskRunPhaseFinalAnswer, v1.TaskRunPhaseFailed:
		default:
			return false
		}
	}
	return true
}

// FakeLLM is an OpenAI-compatible server on loopback that every LLM object
// is redirected to, reached through the real client and wire protocol.
type FakeLLM struct {
	*fakeopenai.Server
	http *httptest.Server
}

// NewFakeLLM starts a fake answering with h (demollm.Calculator when nil).
func NewFakeLLM(h fakeopenai.Handler) *FakeLLM {
	if h == nil {
		h = demollm.Calculator()
	}
	s := fakeopenai.NewServer(fakeopenai.Options{Handler: h})
	return &FakeLLM{Server: s, http: httptest.NewServer(s)}
}

// BaseURL is the fake's OpenAI API root.
func (f *FakeLLM) BaseURL() string { return f.http.URL + "/v1" }

// Close stops the server.
func (f *FakeLLM) Close() { f.http.Close() }

// Factory returns clients that talk to the fake whatever baseURL the LLM names.
func (f *FakeLLM) Factory() hooks.LLMClientFactory {
	client := llmclient.NewHTTPClient(30 * time.Second)
	return func(ep hooks.LLMEndpoint) (hooks.LLMClient, error) {
		ep.BaseURL = f.BaseURL()
		return llmclient.New(ep, client)
	}
}

// OfflineSlack accepts every bot token: for runs with no Slack workspace.
func OfflineSlack() hooks.SlackClientFactory {
	return func(string) hooks.SlackClient { return offlineSlack{} }
}

type offlineSlack struct{}

func (offlineSlack) AuthTest(context.Context) (string, string, error) {
	return "offline-team", "offline-bot", nil
}
