package shim

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// subreaperSupported says that setSubreaper works here, so Run must reap
// the orphans it adopts (reapOrphans).
const subreaperSupported = true

// setSubreaper makes the calling process the child subreaper of its
// descendants: what the tender leaves behind is reparented to the shim,
// not to init, and stays under its supervision.
func setSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become child subreaper: %w", err)
	}
	return nil
}

// setAffinity pins the calling OS thread to cpus. The caller is locked to
// its thread; a child it forks inherits the mask.
func setAffinity(cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("pin to cpus %v: %w", cpus, err)
	}
	return nil
}

// waitExited waits until child pid has exited but leaves it unreaped, so
// that its pid, and with it its process group id, cannot be reused while
// the shim still signals the group.
func waitExited(pid int) error {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// reapOrphans reaps every exited child except keep (the tender, which its
// own goroutine reaps; 0 for none) and returns their pids. As subreaper
// the shim adopts what the tender leaves behind, and must reap it. It
// peeks with WNOWAIT first so that it never takes the tender's status.
// When the tender is the exited child it finds first, it stops; the caller
// runs it again once the tender has been reaped.
func reapOrphans(keep int) []int {
	var reaped []int
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		pid := siginfoPID(&info)
		if err != nil || pid == 0 || pid == keep {
			return reaped
		}
		var ws unix.WaitStatus
		if _, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); err != nil {
			return reaped
		}
		reaped = append(reaped, pid)
	}
}

// siginfoPID returns si_pid of a SIGCHLD siginfo_t, which unix.Siginfo does
// not name: after si_signo, si_errno and si_code (three int32s) comes a
// union that holds pointers, so it is pointer-aligned, and si_pid is its
// first field.
func siginfoPID(info *unix.Siginfo) int {
	const ptr = unsafe.Sizeof(uintptr(0))
	off := (12 + ptr - 1) &^ (ptr - 1)
	return int(*(*int32)(unsafe.Add(unsafe.Pointer(info), off)))
}

// onMainThread reports whether the caller runs on the process's main
// thread, whose thread id is the pid.
func onMainThread() bool { return unix.Gettid() == unix.Getpid() }
