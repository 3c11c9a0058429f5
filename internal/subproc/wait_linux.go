package subproc

import (
	"errors"

	"golang.org/x/sys/unix"
)

// waitExited waits for pid to exit without reaping it (waitid WNOWAIT), so
// that its pid, the group's id, is not reused before the group is killed.
// It reports whether it waited.
func waitExited(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return err == nil
		}
	}
}

func sysProcAttr() *unix.SysProcAttr {
	// Pdeathsig: a roost killed with SIGKILL takes the command along.
	return &unix.SysProcAttr{Setpgid: true, Pdeathsig: unix.SIGKILL}
}
