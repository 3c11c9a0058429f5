package proc

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"golang.org/x/sys/unix"
)

// BootID is kern.boottime, "SEC.USEC": the wall-clock time of this boot,
// which FreeBSD keeps from boot to boot only by chance. FreeBSD has no
// boot UUID. The kernel moves kern.boottime when the clock is stepped
// (settimeofday, ntpd's step, not its slew), so a step after roost's
// records were written makes them look as if from an earlier boot; see
// the README.
func BootID() (string, error) {
	tv, err := unix.SysctlTimeval("kern.boottime")
	if err != nil {
		return "", fmt.Errorf("read boot id: sysctl kern.boottime: %w", err)
	}
	return strconv.FormatInt(tv.Sec, 10) + "." + fmt.Sprintf("%06d", tv.Usec), nil
}

// readKinfo returns the struct kinfo_proc of pid (sysctl
// kern.proc.pid.PID). A pid that no process has is an error wrapping
// fs.ErrNotExist.
func readKinfo(pid int) (KinfoProc, error) {
	if pid <= 0 {
		return KinfoProc{}, fmt.Errorf("process %d: %w", pid, fs.ErrNotExist)
	}
	b, err := unix.SysctlRaw("kern.proc.pid", pid)
	if errors.Is(err, unix.ESRCH) || err == nil && len(b) == 0 {
		return KinfoProc{}, fmt.Errorf("process %d: %w", pid, fs.ErrNotExist)
	}
	if err != nil {
		return KinfoProc{}, fmt.Errorf("process %d: sysctl kern.proc.pid: %w", pid, err)
	}
	k, err := ParseKinfoProc(b)
	if err == nil && k.PID != pid {
		err = fmt.Errorf("kinfo_proc of pid %d, asked for %d", k.PID, pid)
	}
	if err != nil {
		return KinfoProc{}, fmt.Errorf("process %d: %w", pid, err)
	}
	return k, nil
}

// ReadKinfo returns what the kernel says of process pid.
func ReadKinfo(pid int) (KinfoProc, error) { return readKinfo(pid) }

// ReadStat returns the fields of Stat for pid, read through kern.proc
// rather than /proc (which FreeBSD does not mount by default): the state
// as its /proc/PID/stat letter, CPU times in ClockTicks, and StartTime as
// StartTime returns it.
func ReadStat(pid int) (Stat, error) {
	k, err := readKinfo(pid)
	if err != nil {
		return Stat{}, err
	}
	start, err := sinceBoot(k)
	if err != nil {
		return Stat{}, fmt.Errorf("process %d: %w", pid, err)
	}
	return Stat{
		Comm:      k.Comm,
		State:     stateLetter(k.Stat),
		UTime:     uint64(k.UserUsec) * ClockTicks / 1e6,
		STime:     uint64(k.SysUsec) * ClockTicks / 1e6,
		StartTime: start,
	}, nil
}

// sinceBoot turns ki_start into microseconds since boot. The kernel makes
// ki_start from the process's start in uptime plus the current
// kern.boottime, so subtracting kern.boottime, read right after, gives
// back a value that a clock step does not move.
func sinceBoot(k KinfoProc) (uint64, error) {
	tv, err := unix.SysctlTimeval("kern.boottime")
	if err != nil {
		return 0, fmt.Errorf("sysctl kern.boottime: %w", err)
	}
	us := (k.StartSec-tv.Sec)*1e6 + (k.StartUsec - int64(tv.Usec))
	if us < 0 {
		us = 0
	}
	return uint64(us), nil
}

// Probe is Alive, and the process's state letter when it is alive: one
// sysctl. A clock step between the two sysctls of a read can move the
// start by its size; a start more than a second off is another process.
func Probe(pid int, start uint64) (alive bool, state string) {
	st, err := ReadStat(pid)
	if err != nil || st.State == "Z" {
		return false, ""
	}
	if d := int64(st.StartTime) - int64(start); d <= -1e6 || d >= 1e6 {
		return false, ""
	}
	return true, st.State
}
