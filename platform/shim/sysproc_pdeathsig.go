//go:build linux || freebsd

package shim

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// tenderSysProcAttr puts the tender in a process group of its own, which
// the shim signals as a whole, and has the kernel SIGKILL it when the OS
// thread that forked it exits, so that it never outlives its shim.
// (syscall only for exec.Cmd's own type.)
func tenderSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: unix.SIGKILL}
}
