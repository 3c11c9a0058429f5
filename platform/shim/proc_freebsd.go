package shim

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// x/sys/unix has neither procctl(2), wait6(2) nor cpuset_setaffinity(2)
// wrappers for FreeBSD, only their syscall numbers; the constants are
// those of sys/procctl.h, sys/wait.h and sys/cpuset.h.
const (
	pPID             = 0 // P_PID
	pAll             = 7 // P_ALL
	procReapAcquire  = 2 // PROC_REAP_ACQUIRE
	cpuLevelWhich    = 3 // CPU_LEVEL_WHICH
	cpuWhichTID      = 1 // CPU_WHICH_TID
	cpusetBytesLarge = 128
	cpusetBytesSmall = 32
)

// subreaperSupported says that setSubreaper works here, so Run must reap
// the orphans it adopts (reapOrphans).
const subreaperSupported = true

// setSubreaper makes the calling process the reaper of its descendants
// (procctl PROC_REAP_ACQUIRE): what the tender leaves behind is
// reparented to the shim, not to init.
func setSubreaper() error {
	_, _, errno := unix.Syscall6(unix.SYS_PROCCTL, pPID, uintptr(unix.Getpid()), procReapAcquire, 0, 0, 0)
	if errno != 0 && errno != unix.EBUSY { // EBUSY: a reaper already
		return fmt.Errorf("become reaper: procctl PROC_REAP_ACQUIRE: %w", errno)
	}
	return nil
}

// setAffinity pins the calling OS thread to cpus (cpuset_setaffinity on
// CPU_WHICH_TID -1, the calling thread). The caller is locked to its
// thread; a process it forks takes that thread's mask. The mask is sized
// for FreeBSD 14's 1024 CPUs first and for 13's 256 when the kernel
// refuses that size with ERANGE.
func setAffinity(cpus []int) error {
	var mask [cpusetBytesLarge / 8]uint64
	for _, c := range cpus {
		if c < 0 || c >= cpusetBytesLarge*8 {
			return fmt.Errorf("pin to cpus %v: cpu %d out of range", cpus, c)
		}
		mask[c/64] |= 1 << (c % 64)
	}
	var errno unix.Errno
	for _, size := range []uintptr{cpusetBytesLarge, cpusetBytesSmall} {
		_, _, errno = unix.Syscall6(unix.SYS_CPUSET_SETAFFINITY, cpuLevelWhich, cpuWhichTID, ^uintptr(0), size, uintptr(unsafe.Pointer(&mask[0])), 0)
		if errno != unix.ERANGE {
			break
		}
	}
	if errno != 0 {
		return fmt.Errorf("pin to cpus %v: cpuset_setaffinity: %w", cpus, errno)
	}
	return nil
}

// wait6 is wait6(2) with no status, rusage or siginfo: it returns the pid
// of the child it found, 0 for none (WNOHANG).
func wait6(idtype, id, options int) (int, error) {
	for {
		r, _, errno := unix.Syscall6(unix.SYS_WAIT6, uintptr(idtype), uintptr(id), 0, uintptr(options), 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return 0, errno
		}
		return int(r), nil
	}
}

// waitExited waits until child pid has exited but leaves it unreaped, so
// that its pid, and with it its process group id, cannot be reused while
// the shim still signals the group.
func waitExited(pid int) error {
	_, err := wait6(pPID, pid, unix.WEXITED|unix.WNOWAIT)
	return err
}

// reapOrphans reaps every exited child except keep (the tender, which its
// own goroutine reaps; 0 for none) and returns their pids, as on Linux:
// it peeks with WNOWAIT first so that it never takes the tender's status,
// and stops at the tender.
func reapOrphans(keep int) []int {
	var reaped []int
	for {
		pid, err := wait6(pAll, 0, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT)
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

// threadID returns the calling thread's id (thr_self(2)).
func threadID() int64 {
	var id int64
	unix.RawSyscall(unix.SYS_THR_SELF, uintptr(unsafe.Pointer(&id)), 0, 0)
	return id
}

// mainThread is the main thread's id: package variables are initialized
// on the main thread, to which the runtime locks the main goroutine
// until main.main runs.
var mainThread = threadID()

// onMainThread reports whether the caller runs on the process's main
// thread. FreeBSD's thread ids are not pids, so it compares with the one
// recorded at start.
func onMainThread() bool { return threadID() == mainThread }
