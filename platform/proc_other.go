//go:build !linux

package platform

import (
	"errors"
	"fmt"

	"github.com/roostd/roost/plan"
)

// The kernel's view of processes and resources is read from Linux's /proc
// and /sys; other systems have no implementation yet.

// BootID is unknown here.
func BootID() (string, error) {
	return "", fmt.Errorf("read boot id: %w", errors.ErrUnsupported)
}

func readHostInfo(dbdir DBDir) (plan.HostInfo, error) {
	return plan.HostInfo{}, fmt.Errorf("read host resources: %w", errors.ErrUnsupported)
}

// ProcessStartTime is implemented on Linux only: without it a pid is never
// trusted for signals.
func ProcessStartTime(pid int) (uint64, error) {
	return 0, fmt.Errorf("start time of process %d: %w", pid, errors.ErrUnsupported)
}

// ProcessAlive cannot tell a pid's start time here, so it never vouches
// for one.
func ProcessAlive(pid int, start uint64) bool { return false }

func processStats(pid int) (ProcStats, error) {
	return ProcStats{}, fmt.Errorf("stats of process %d: %w", pid, errors.ErrUnsupported)
}
