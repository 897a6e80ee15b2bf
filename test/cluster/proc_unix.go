//go:build unix

package cluster

import (
	"os/exec"
	"syscall"
)

// setProcAttrs puts the child in its own process group, so that stopping it
// also stops anything it started.
func setProcAttrs(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setParentDeathSignal(cmd.SysProcAttr)
}

// signalGroup sends sig to the process group of cmd's process.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// terminate asks cmd's process group to shut down.
func terminate(cmd *exec.Cmd) error { return signalGroup(cmd, syscall.SIGTERM) }

// kill stops cmd's process group at once.
func kill(cmd *exec.Cmd) error { return signalGroup(cmd, syscall.SIGKILL) }
