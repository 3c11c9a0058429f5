package shim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
)

// holder is a process that claims to be a unikernel's shim, reached
// through a pidfd: once it is open, the pid's reuse cannot redirect a
// signal, which pidfd_send_signal delivers to that process or to none.
type holder struct {
	pid int
	fd  int // pidfd
}

func openHolder(pid int) (*holder, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil, fmt.Errorf("pid %d: %w", pid, ErrNotShim)
		}
		return nil, fmt.Errorf("pidfd of %d: %w", pid, err)
	}
	return &holder{pid: pid, fd: fd}, nil
}

func (h *holder) close() { unix.Close(h.fd) }

// verify proves through the kernel that the process holds an exclusive
// flock on the very shim.lock of name (one of its descriptors is that
// file, and /proc/PID/fdinfo lists the lock on it) and that its command
// line is a shim's for dbdir and name (its last two arguments). It checks
// last that the pidfd's process is still alive, so that what /proc said
// was said of it.
func (h *holder) verify(dbdir datadir.Dir, name string) error {
	lock, err := os.Stat(dbdir.ShimLock(name))
	if err != nil {
		return err
	}
	if !h.holdsLock(lock) {
		return fmt.Errorf("it holds no lock on %s: %w", dbdir.ShimLock(name), ErrNotShim)
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(h.pid) + "/cmdline")
	if err != nil {
		return fmt.Errorf("read its command line: %w", err)
	}
	args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
	if len(args) < 3 || args[len(args)-2] != string(dbdir) || args[len(args)-1] != name {
		return fmt.Errorf("its command line %q is not a shim's for %s %s: %w", args, dbdir, name, ErrNotShim)
	}
	if err := unix.PidfdSendSignal(h.fd, 0, nil, 0); err != nil {
		return fmt.Errorf("pid %d: %w", h.pid, err)
	}
	return nil
}

// holdsLock reports whether one of the process's descriptors is the file
// lock and carries an exclusive flock.
func (h *holder) holdsLock(lock os.FileInfo) bool {
	dir := "/proc/" + strconv.Itoa(h.pid)
	ents, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		return false
	}
	for _, e := range ents {
		fi, err := os.Stat(filepath.Join(dir, "fd", e.Name()))
		if err != nil || !os.SameFile(fi, lock) {
			continue
		}
		info, err := os.ReadFile(filepath.Join(dir, "fdinfo", e.Name()))
		if err != nil {
			continue
		}
		for _, line := range bytes.Split(info, []byte("\n")) {
			if f := strings.Fields(string(line)); len(f) >= 5 && f[0] == "lock:" && f[2] == "FLOCK" && f[4] == "WRITE" {
				return true
			}
		}
	}
	return false
}

// signal sends sig to the process; one already gone is no error.
func (h *holder) signal(sig unix.Signal) error {
	if err := unix.PidfdSendSignal(h.fd, sig, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("send %s to %d: %w", unix.SignalName(sig), h.pid, err)
	}
	return nil
}

// wait waits up to d for the process to exit (its pidfd becomes
// readable), and reports whether it did.
func (h *holder) wait(d time.Duration) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(h.fd), Events: unix.POLLIN}}
	ms := int(d / time.Millisecond)
	for {
		n, err := unix.Poll(fds, max(ms, 1))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("wait for %d: %w", h.pid, err)
		}
		return n > 0, nil
	}
}
