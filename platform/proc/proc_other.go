//go:build !linux && !freebsd

package proc

import (
	"errors"
	"fmt"
)

// The kernel's view of processes is read from Linux's /proc; other
// systems have no implementation yet.

// BootID is unknown here.
func BootID() (string, error) {
	return "", fmt.Errorf("read boot id: %w", errors.ErrUnsupported)
}

// ReadStat is implemented on Linux only.
func ReadStat(pid int) (Stat, error) {
	return Stat{}, fmt.Errorf("stat of process %d: %w", pid, errors.ErrUnsupported)
}

// Probe cannot tell a pid's start time here, so it never vouches for one.
func Probe(pid int, start uint64) (alive bool, state string) { return false, "" }
