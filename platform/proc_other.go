//go:build !linux && !freebsd

package platform

import (
	"errors"
	"fmt"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
)

// The kernel's view of processes and resources is read from Linux's /proc
// and /sys; other systems have no implementation yet.

func readHostInfo(dbdir datadir.Dir) (plan.HostInfo, error) {
	return plan.HostInfo{}, fmt.Errorf("read host resources: %w", errors.ErrUnsupported)
}

func processStats(pid int) (ProcStats, error) {
	return ProcStats{}, fmt.Errorf("stats of process %d: %w", pid, errors.ErrUnsupported)
}
