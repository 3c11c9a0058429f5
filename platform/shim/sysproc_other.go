//go:build !linux && !freebsd

package shim

import "syscall"

// tenderSysProcAttr puts the tender in a process group of its own. This
// OS has no parent-death signal, so a tender may outlive a killed shim.
// (syscall only for exec.Cmd's own type.)
func tenderSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
