package hooks

import (
	"testing"
)

func TestSyncToolSetGolden(t *testing.T) {
	runGolden(t, "toolset", "/sync/toolset", func(t *testing.T, _ string) *Hooks {
		return newTestHooks(t, Deps{})
	})
}
