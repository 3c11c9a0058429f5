package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/roostd/roost/plan"
	"golang.org/x/sys/unix"
)

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat. Go has
// no sysconf(_SC_CLK_TCK) without cgo, but the kernel fixes USER_HZ at 100
// for every architecture roost runs on (include/asm-generic/param.h);
// only alpha and ia64 differed.
const clockTicks = 100

// BootID returns /proc/sys/kernel/random/boot_id, which changes on every
// boot: it tells whether recorded pids belong to this boot.
func BootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("read boot id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// readHostInfo returns the online CPUs, the memory and the free space of
// dbdir's file system (of its nearest existing parent while it does not
// exist).
func readHostInfo(dbdir DBDir) (plan.HostInfo, error) {
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
	if hi.DiskFreeMiB, err = diskFreeMiB(string(dbdir)); err != nil {
		return hi, err
	}
	return hi, nil
}

// diskFreeMiB returns the space available to unprivileged users on the
// file system of dir, or of its nearest existing parent.
func diskFreeMiB(dir string) (int64, error) {
	p, err := filepath.Abs(dir)
	if err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	for {
		var st unix.Statfs_t
		err := unix.Statfs(p, &st)
		if err == nil {
			return int64(st.Bavail) * st.Bsize / (1 << 20), nil
		}
		parent := filepath.Dir(p)
		if !errors.Is(err, unix.ENOENT) || parent == p {
			return 0, fmt.Errorf("free space of %s: %w", p, err)
		}
		p = parent
	}
}

func readStat(pid int) (procStat, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	b, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, err
	}
	st, err := parseStat(b)
	if err != nil {
		return st, &os.PathError{Op: "parse", Path: path, Err: err}
	}
	return st, nil
}

// ProcessStartTime returns when process pid started, in clock ticks since
// boot (/proc/PID/stat field 22), as plan.Status.TenderStart records it.
func ProcessStartTime(pid int) (uint64, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, fmt.Errorf("start time of process %d: %w", pid, err)
	}
	return st.StartTime, nil
}

// ProcessAlive reports whether pid is the process that started at start
// (clock ticks since boot) and has not exited: a zombie has, and a reused
// pid is another process.
func ProcessAlive(pid int, start uint64) bool {
	st, err := readStat(pid)
	return err == nil && st.StartTime == start && st.State != "Z" && st.State != "X"
}

func processStats(pid int) (ProcStats, error) {
	st, err := readStat(pid)
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
		CPUTime:  time.Duration(st.UTime+st.STime) * time.Second / clockTicks,
	}, nil
}
