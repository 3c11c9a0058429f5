package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/proc"
	"golang.org/x/sys/unix"
)

// readHostInfo returns the CPUs (hw.ncpu, numbered 0 to hw.ncpu-1 as
// cpuset(2) numbers them), the memory (hw.physmem) and the free space of
// dbdir's file system (of its nearest existing parent while it does not
// exist).
func readHostInfo(dbdir datadir.Dir) (plan.HostInfo, error) {
	var hi plan.HostInfo
	n, err := unix.SysctlUint32("hw.ncpu")
	if err != nil {
		return hi, fmt.Errorf("read cpus: sysctl hw.ncpu: %w", err)
	}
	hi.CPUs = make([]int, n)
	for i := range hi.CPUs {
		hi.CPUs[i] = i
	}
	mem, err := unix.SysctlUint64("hw.physmem")
	if err != nil {
		return hi, fmt.Errorf("read memory size: sysctl hw.physmem: %w", err)
	}
	hi.MemoryMiB = int64(mem >> 20)
	if hi.DiskFreeBytes, err = diskFree(string(dbdir)); err != nil {
		return hi, err
	}
	return hi, nil
}

// diskFree returns the bytes available to unprivileged users on the
// file system of dir, or of its nearest existing parent.
func diskFree(dir string) (int64, error) {
	p, err := filepath.Abs(dir)
	if err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	for {
		var st unix.Statfs_t
		err := unix.Statfs(p, &st)
		if err == nil {
			// Bavail is negative when root's reserve is in use.
			return max(st.Bavail, 0) * int64(st.Bsize) / (1 << 20), nil
		}
		parent := filepath.Dir(p)
		if !errors.Is(err, unix.ENOENT) || parent == p {
			return 0, fmt.Errorf("free space of %s: %w", p, err)
		}
		p = parent
	}
}

// processStats reads the resident set and CPU time of pid from its
// struct kinfo_proc (sysctl kern.proc.pid.PID).
func processStats(pid int) (ProcStats, error) {
	k, err := proc.ReadKinfo(pid)
	if err != nil {
		return ProcStats{}, fmt.Errorf("stats of process %d: %w", pid, err)
	}
	return ProcStats{
		RSSBytes: k.RSSPages * int64(os.Getpagesize()),
		CPUTime:  time.Duration(k.UserUsec+k.SysUsec) * time.Microsecond,
	}, nil
}
