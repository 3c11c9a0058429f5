package simtender

import (
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelSigsetSize is the kernel's sigset_t size that rt_sigaction wants:
// 8 bytes on every architecture roost runs on (amd64, arm64, ppc64le).
const kernelSigsetSize = 8

// dieBySignal ends the process by sig, the way a guest fault ends
// solo5-spt, so that the parent sees WIFSIGNALED. Go's runtime handles
// SIGSEGV and friends itself, and a SIGSEGV sent with kill(2) is one it
// ignores, so the default action is restored with a raw rt_sigaction first.
// Core dumps are disabled so that tests leave no core files behind. It
// returns only if the process survived.
func dieBySignal(sig unix.Signal) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("disable core dumps: %w", err)
	}
	var act [8]uint64 // a zero struct sigaction: SIG_DFL, no flags, empty mask
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, kernelSigsetSize, 0, 0)
	if errno != 0 {
		return fmt.Errorf("reset action of signal %d: %w", sig, errno)
	}
	// Go's runtime leaves the fault signals unblocked on its threads, so
	// sig raised on this one is delivered at once.
	if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), sig); err != nil {
		return fmt.Errorf("raise signal %d: %w", sig, err)
	}
	time.Sleep(time.Second)
	return fmt.Errorf("raise signal %d: the process survived it", sig)
}
