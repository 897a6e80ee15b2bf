package cluster

import "syscall"

// setParentDeathSignal has the kernel kill the child when the test binary
// dies without running its cleanups (a `go test -timeout` panic, SIGKILL), so
// no etcd or kube-apiserver outlives the test run.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
