package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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
	var buf [1024]byte
	b, err := readSmall(path, buf[:0])
	if err != nil {
		return Stat{}, err
	}
	st, err := ParseStat(b)
	if err != nil {
		return st, &os.PathError{Op: "parse", Path: path, Err: err}
	}
	return st, nil
}

// readSmall appends the contents of the small file at path (a /proc
// file) to b, with open, read and close only: os.ReadFile also asks
// whether the file can join the poller (two fcntl and an epoll_ctl
// each), which a plan of a thousand unikernels pays two thousand times.
// A read that leaves room in b has reached the end: a /proc file of one
// record (seq_file's single_open) is generated whole at the first read,
// which returns all of it that fits, so no read is made to see the end.
func readSmall(path string, b []byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		short := n < cap(b)-len(b)
		b = b[:len(b)+n]
		if short {
			return b, nil
		}
	}
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
