package hooks

import (
	"testing"
)

func TestSyncAgentGolden(t *testing.T) {
	runGolden(t, "agent", "/sync/agent", func(t *testing.T, _ string) *Hooks {
		return newTestHooks(t, Deps{})
	})
}

func TestCustomizeAgentGolden(t *testing.T) {
	runGolden(t, "customize-agent", "/customize/agent", func(t *testing.T, _ string) *Hooks {
		return newTestHooks(t, Deps{})
	})
}
