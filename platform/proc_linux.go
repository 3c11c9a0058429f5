package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/proc"
	"golang.org/x/sys/unix"
)

// readHostInfo returns the online CPUs, the memory and the free space of
// dbdir's file system (of its nearest existing parent while it does not
// exist).
func readHostInfo(dbdir datadir.Dir) (plan.HostInfo, error) {
	var hi plan.HostInfo
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return hi, fmt.Errorf("read online cpus: %w", err)
	}
	if hi.CPUs, err = parseCPUList(string(b)); err != nil {
		return hi, &os.PathError{Op: "parse", Path: "/sys/devices/system/cpu/online", Err: err}
	}
	if b, err = os.ReadFile("/proc/meminfo"); err != nil {
		return hi, fmt.Errorf("read memory size: %w", err)
	}
	if hi.MemoryMiB, err = parseMemTotal(b); err != nil {
		return hi, &os.PathError{Op: "parse", Path: "/proc/meminfo", Err: err}
	}
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
			return int64(st.Bavail) * st.Bsize, nil
		}
		parent := filepath.Dir(p)
		if !errors.Is(err, unix.ENOENT) || parent == p {
			return 0, fmt.Errorf("free space of %s: %w", p, err)
		}
		p = parent
	}
}

func processStats(pid int) (ProcStats, error) {
	st, err := proc.ReadStat(pid)
	if err != nil {
		return ProcStats{}, fmt.Errorf("stats of process %d: %w", pid, err)
	}
	path := "/proc/" + strconv.Itoa(pid) + "/statm"
	b, err := os.ReadFile(path)
	if err != nil {
		return ProcStats{}, fmt.Errorf("stats of process %d: %w", pid, err)
	}
	pages, err := parseStatm(b)
	if err != nil {
		return ProcStats{}, fmt.Errorf("stats of process %d: %w", pid, &os.PathError{Op: "parse", Path: path, Err: err})
	}
	return ProcStats{
		RSSBytes: int64(pages) * int64(os.Getpagesize()),
		CPUTime:  time.Duration(st.UTime+st.STime) * time.Second / proc.ClockTicks,
	}, nil
}
