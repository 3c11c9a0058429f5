package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// BootID returns /proc/sys/kernel/random/boot_id, which changes on every
// boot: it tells whether recorded pids belong to this boot.
func BootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("read boot id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// ReadStat reads and parses /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	b, err := os.ReadFile(path)
	if err != nil {
		return Stat{}, err
	}
	st, err := ParseStat(b)
	if err != nil {
		return st, &os.PathError{Op: "parse", Path: path, Err: err}
	}
	return st, nil
}

// StartTime returns when process pid started, in clock ticks since boot
// (/proc/PID/stat field 22), as status.json's tender_start records it.
func StartTime(pid int) (uint64, error) {
	st, err := ReadStat(pid)
	if err != nil {
		return 0, fmt.Errorf("start time of process %d: %w", pid, err)
	}
	return st.StartTime, nil
}

// Alive reports whether pid is the process that started at start (clock
// ticks since boot) and has not exited: a zombie has, and a reused pid is
// another process.
func Alive(pid int, start uint64) bool {
	alive, _ := Probe(pid, start)
	return alive
}

// Probe is Alive, and the process's state letter (R, S, T for stopped,
// ...) when it is alive: one read of /proc/PID/stat.
func Probe(pid int, start uint64) (alive bool, state string) {
	st, err := ReadStat(pid)
	if err != nil || st.StartTime != start || st.State == "Z" || st.State == "X" {
		return false, ""
	}
	return true, st.State
}
