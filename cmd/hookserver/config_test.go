package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseServeFlags(t *testing.T) {
	defaults := Config{
		Addr:              ":8080",
		LogFormat:         "json",
		LogLevel:          slog.LevelInfo,
		LLMCallTimeout:    120 * time.Second,
		HookTimeout:       150 * time.Second,
		ValidationTimeout: 10 * time.Second,
		ShutdownTimeout:   150 * time.Second,
	}
	with := func(f func(*Config)) Config {
		c := defaults
		f(&c)
		return c
	}

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{name: "environment", env: map[string]string{
			"KUBECHAIN_ADDR": "127.0.0.1:9090", "KUBECHAIN_LOG_FORMAT": "text", "KUBECHAIN_LOG_LEVEL": "debug",
			"KUBECHAIN_LLM_CALL_TIMEOUT": "60s", "KUBECHAIN_VALIDATION_TIMEOUT": "5s",
			"KUBECHAIN_SLACK_API_URL": "http://slack.local/api/", "KUBECHAIN_SHUTDOWN_TIMEOUT": "30s",
		}, want: with(func(c *Config) {
			c.Addr, c.LogFormat, c.LogLevel = "127.0.0.1:9090", "text", slog.LevelDebug
			c.LLMCallTimeout, c.ValidationTimeout, c.ShutdownTimeout = 60*time.Second, 5*time.Second, 30*time.Second
			c.SlackAPIURL = "http://slack.local/api/"
		})},
		{name: "flags win over environment", args: []string{"--addr", ":1", "-llm-call-timeout=90s"},
			env:  map[string]string{"KUBECHAIN_ADDR": ":2", "KUBECHAIN_LLM_CALL_TIMEOUT": "60s"},
			want: with(func(c *Config) { c.Addr, c.LLMCallTimeout = ":1", 90*time.Second })},
		{name: "unparseable env duration is named", env: map[string]string{"KUBECHAIN_LLM_CALL_TIMEOUT": "2 minutes"},
			wantErr: `invalid value "2 minutes" for KUBECHAIN_LLM_CALL_TIMEOUT (--llm-call-timeout): parse error (want a duration such as 90s or 2m)`},
		{name: "unparseable env log level is named", env: map[string]string{"KUBECHAIN_LOG_LEVEL": "loud"},
			wantErr: `invalid value "loud" for KUBECHAIN_LOG_LEVEL (--log-level)`},
		{name: "unparseable flag", args: []string{"--shutdown-timeout", "soon"}, wantErr: `invalid value "soon" for flag -shutdown-timeout`},
		{name: "unknown flag", args: []string{"--port", "80"}, wantErr: "flag provided but not defined: -port"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected arguments: extra"},
		{name: "llm timeout equal to hook timeout", args: []string{"--llm-call-timeout", "150s"},
			wantErr: "--llm-call-timeout (2m30s) must be below --hook-timeout (2m30s)"},
		{name: "llm timeout above a lowered hook timeout", env: map[string]string{"KUBECHAIN_HOOK_TIMEOUT": "100s"},
			wantErr: "--llm-call-timeout (2m0s) must be below --hook-timeout (1m40s)"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: `--log-format "xml": want json or text`},
		{name: "zero timeout", args: []string{"--validation-timeout", "0s"}, wantErr: "--validation-timeout must be positive"},
		{name: "empty addr", args: []string{"--addr", ""}, wantErr: "--addr must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseServeFlags(tt.args, envFrom(tt.env), io.Discard)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseServeFlagsHelp(t *testing.T) {
	_, err := ParseServeFlags([]string{"-h"}, envFrom(nil), io.Discard)
	assert.True(t, errors.Is(err, flag.ErrHelp))
}
