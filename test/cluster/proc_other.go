//go:build !unix

package cluster

import "os/exec"

// setProcAttrs does nothing where there are no process groups.
func setProcAttrs(*exec.Cmd) {}

// terminate stops cmd's process; without process groups it cannot ask
// politely.
func terminate(cmd *exec.Cmd) error { return cmd.Process.Kill() }

// kill stops cmd's process at once.
func kill(cmd *exec.Cmd) error { return cmd.Process.Kill() }
