package hooks

import (
	"log/slog"
	"time"
)

// Hooks carries the injected dependencies every hook method uses.
type Hooks struct {
	deps    Deps
	log     *slog.Logger
	replies *replyCache
}

// New returns the hooks with their dependencies. A nil logger means slog.Default();
// a nil clock means time.Now.
func New(deps Deps, logger *slog.Logger) *Hooks {
	if logger == nil {
		logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.LLMCallTimeout <= 0 {
		deps.LLMCallTimeout = 120 * time.Second
	}
	if deps.ValidationTimeout <= 0 {
		deps.ValidationTimeout = 10 * time.Second
	}
	if deps.MaxRounds <= 0 {
		deps.MaxRounds = 20
	}
	if deps.MaxDelegationDepth <= 0 {
		deps.MaxDelegationDepth = 5
	}
	if deps.MaxStatusBytes <= 0 {
		deps.MaxStatusBytes = 1 << 20
	}
	return &Hooks{deps: deps, log: logger, replies: newReplyCache(10000, 15*time.Minute)}
}
