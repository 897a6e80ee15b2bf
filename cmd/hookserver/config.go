package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// envPrefix starts the environment variable of every flag.
const envPrefix = "KUBECHAIN_"

// Config is everything `hookserver serve` is configured with.
type Config struct {
	// Addr is the listen address, e.g. :8080.
	Addr string
	// LogFormat is json (for a cluster) or text (for a terminal).
	LogFormat string
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// LLMCallTimeout bounds one LLM call made by a hook.
	LLMCallTimeout time.Duration
	// HookTimeout is the longest Metacontroller waits for a hook (the TaskRun
	// sync hook's timeout); it bounds every hook request.
	HookTimeout time.Duration
	// ValidationTimeout bounds one credential check (LLM or Slack).
	ValidationTimeout time.Duration
	// SlackAPIURL is the Slack Web API root; empty means Slack's.
	SlackAPIURL string
	// ShutdownTimeout bounds how long in-flight requests may run after SIGTERM.
	ShutdownTimeout time.Duration
}

// ParseServeFlags reads the serve flags from args, with defaults from the
// environment (getenv). Flags win over the environment; an unparseable
// environment value is an error naming the variable. Usage goes to output.
// It returns flag.ErrHelp for -h.
func ParseServeFlags(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("hookserver serve", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.Addr, "addr", ":8080", "listen address")
	fs.StringVar(&cfg.LogFormat, "log-format", "json", "log format: json or text")
	fs.TextVar(&cfg.LogLevel, "log-level", slog.LevelInfo, "minimum log level: debug, info, warn or error")
	fs.DurationVar(&cfg.LLMCallTimeout, "llm-call-timeout", 120*time.Second, "timeout of one LLM call; must be below --hook-timeout")
	fs.DurationVar(&cfg.HookTimeout, "hook-timeout", 150*time.Second, "the TaskRun sync hook's timeout in metacontroller/taskrun.yaml; bounds every hook request")
	fs.DurationVar(&cfg.ValidationTimeout, "validation-timeout", 10*time.Second, "timeout of one credential check (LLM or Slack)")
	fs.StringVar(&cfg.SlackAPIURL, "slack-api-url", "", "Slack Web API root (empty: https://slack.com/api/)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 150*time.Second, "how long in-flight requests may run after SIGTERM")

	// Name each flag's variable in the usage, then apply the environment as
	// the defaults that command-line flags override.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		env := envName(f.Name)
		f.Usage += " (env " + env + ")"
		v := getenv(env)
		if v == "" || envErr != nil {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("invalid value %q for %s (--%s): %w%s", v, env, f.Name, err, valueHint(f))
		}
	})
	if envErr != nil {
		return Config{}, envErr
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// valueHint says what a flag expects, since the flag package only says "parse error".
func valueHint(f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok {
		if _, isDuration := g.Get().(time.Duration); isDuration {
			return " (want a duration such as 90s or 2m)"
		}
	}
	return ""
}

// envName is the environment variable of a flag: log-level → KUBECHAIN_LOG_LEVEL.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Validate checks values that parse but make no sense together.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("--addr must not be empty"))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("--log-format %q: want json or text", c.LogFormat))
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{
		{"llm-call-timeout", c.LLMCallTimeout},
		{"hook-timeout", c.HookTimeout},
		{"validation-timeout", c.ValidationTimeout},
		{"shutdown-timeout", c.ShutdownTimeout},
	} {
		if d.value <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive, got %s", d.flag, d.value))
		}
	}
	if c.LLMCallTimeout >= c.HookTimeout {
		errs = append(errs, fmt.Errorf("--llm-call-timeout (%s) must be below --hook-timeout (%s): Metacontroller would abandon the hook before the LLM answers", c.LLMCallTimeout, c.HookTimeout))
	}
	return errors.Join(errs...)
}

// newLogger builds the process logger.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
