//go:build unix && !linux

package cluster

import "syscall"

// setParentDeathSignal is a no-op where the kernel has no parent-death
// signal; Stop (or t.Cleanup) is then the only way the children end.
func setParentDeathSignal(*syscall.SysProcAttr) {}
