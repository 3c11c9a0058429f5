package simtender

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dieBySignal ends the process by sig, the way a guest fault ends a Solo5
// tender, so that the parent sees WIFSIGNALED. Go's runtime handles SIGSEGV
// and friends itself, so the default action is restored with a raw
// sigaction first. Core dumps are disabled so that tests leave no core
// files behind. It returns only if the process survived.
func dieBySignal(sig unix.Signal) error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("disable core dumps: %w", err)
	}
	var act [8]uint64 // a zero struct sigaction: SIG_DFL, no flags, empty mask
	_, _, errno := unix.RawSyscall(unix.SYS_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0)
	if errno != 0 {
		return fmt.Errorf("reset action of signal %d: %w", sig, errno)
	}
	if err := unix.Kill(unix.Getpid(), sig); err != nil {
		return fmt.Errorf("raise signal %d: %w", sig, err)
	}
	time.Sleep(time.Second)
	return fmt.Errorf("raise signal %d: the process survived it", sig)
}
