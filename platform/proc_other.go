//go:build !linux

package platform

import (
	"errors"
	"fmt"

	"github.com/roostd/roost/plan"
)

// The kernel's view of processes and resources is read from Linux's /proc
// and /sys; other systems have no implementation yet.

func bootID() (string, error) {
	return "", fmt.Errorf("read boot id: %w", errors.ErrUnsupported)
}

func readHostInfo(dbdir DBDir) (plan.HostInfo, error) {
	return plan.HostInfo{}, fmt.Errorf("read host resources: %w", errors.ErrUnsupported)
}

func processStartTime(pid int) (uint64, error) {
	return 0, fmt.Errorf("start time of process %d: %w", pid, errors.ErrUnsupported)
}

func processStats(pid int) (ProcStats, error) {
	return ProcStats{}, fmt.Errorf("stats of process %d: %w", pid, errors.ErrUnsupported)
}
