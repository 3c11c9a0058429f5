//go:build !linux

package subproc

import "golang.org/x/sys/unix"

// waitExited returns false at once where x/sys/unix has no waitid with
// WNOWAIT: the group is then killed once the command is reaped, when its
// id could in principle be taken by a new group, which needs the pid space
// to wrap in between.
func waitExited(pid int) bool { return false }

func sysProcAttr() *unix.SysProcAttr { return &unix.SysProcAttr{Setpgid: true} }
