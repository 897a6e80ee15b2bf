package hooks

import (
	"log/slog"
	"time"
)

// Hooks carries the injected dependencies every hook method uses.
type Hooks struct {
	deps Deps
	log  *slog.Logger
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
	return &Hooks{deps: deps, log: logger}
}
