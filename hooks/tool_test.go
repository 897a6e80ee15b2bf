package hooks

import (
	"testing"
)

func TestSyncToolGolden(t *testing.T) {
	runGolden(t, "tool", "/sync/tool", func(t *testing.T, _ string) *Hooks {
		return newTestHooks(t, Deps{})
	})
}

func TestCustomizeToolGolden(t *testing.T) {
	runGolden(t, "customize-tool", "/customize/tool", func(t *testing.T, _ string) *Hooks {
		return newTestHooks(t, Deps{})
	})
}
