package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/humanlayer/kubechain/hooks"
	"github.com/humanlayer/kubechain/internal/llmclient"
	"github.com/humanlayer/kubechain/internal/metrics"
	"github.com/humanlayer/kubechain/internal/slackclient"
)

// HTTP server limits. Metacontroller is the only client: requests are a few
// MiB at most (hooks.MaxRequestBytes caps bodies), headers are small, and it
// keeps connections alive between syncs.
const (
	readHeaderTimeout = 10 * time.Second
	// readTimeout covers reading a body of up to hooks.MaxRequestBytes.
	readTimeout    = 60 * time.Second
	idleTimeout    = 120 * time.Second
	maxHeaderBytes = 64 << 10
	// writeSlack is added to the hook timeout for the whole-exchange write deadline.
	writeSlack = 10 * time.Second
)

// Serve listens on cfg.Addr and serves the hooks until ctx is cancelled, then
// shuts down gracefully.
func Serve(ctx context.Context, cfg Config, logger *slog.Logger) error {
	m := metrics.New()
	deps := hooks.Deps{
		Now:               time.Now,
		LLMs:              llmclient.Factory(llmclient.NewHTTPClient(cfg.LLMCallTimeout)),
		Slack:             slackclient.Factory(cfg.SlackAPIURL, &http.Client{Timeout: cfg.ValidationTimeout}),
		LLMCallTimeout:    cfg.LLMCallTimeout,
		ValidationTimeout: cfg.ValidationTimeout,
	}
	routes := hooks.New(deps, logger).Routes(m, logger)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return newServer(cfg, logger, m, routes).serve(ctx, ln)
}

// server is the router, its readiness and the http.Server around it.
type server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	ready   atomic.Bool
}

// newServer routes the hooks and the operational endpoints.
func newServer(cfg Config, logger *slog.Logger, m *metrics.Metrics, routes []hooks.Route) *server {
	s := &server{cfg: cfg, log: logger}
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not found: no hook or endpoint at "+r.URL.Path, http.StatusNotFound)
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	r.Method(http.MethodGet, "/metrics", m.Handler())
	for _, rt := range routes {
		// Hooks take POST; the adapter itself answers any other method with
		// 405, an Allow header and a reason, and counts it in the metrics.
		r.Handle(rt.Path, s.withHookDeadline(rt.Handler))
	}
	s.handler = r
	return s
}

// withHookDeadline bounds a hook request by the longest hook timeout:
// Metacontroller has given up by then, so further work is wasted.
func (s *server) withHookDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HookTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// serve serves on ln until ctx is cancelled, then reports not ready, stops
// accepting connections and waits for in-flight requests for at most
// cfg.ShutdownTimeout. It returns nil after a clean shutdown.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      s.cfg.HookTimeout + writeSlack,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.ready.Store(true)
	s.log.Info("hook server listening", "addr", ln.Addr().String(),
		"llm_call_timeout", s.cfg.LLMCallTimeout, "hook_timeout", s.cfg.HookTimeout,
		"validation_timeout", s.cfg.ValidationTimeout)

	select {
	case err := <-served:
		s.ready.Store(false)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	s.ready.Store(false)
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown: in-flight requests aborted after %s: %w", s.cfg.ShutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("shut down")
	return nil
}
