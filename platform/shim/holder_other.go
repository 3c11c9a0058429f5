//go:build !linux

package shim

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
)

// holder is a process that claims to be a unikernel's shim. Without
// pidfds and /proc it is reached by pid, after the lock probe vouched for a
// live holder: the weaker guarantee that Linux's holder improves on.
type holder struct {
	pid int
}

func openHolder(pid int) (*holder, error) { return &holder{pid: pid}, nil }

func (h *holder) close() {}

// verify checks that the process exists.
func (h *holder) verify(dbdir datadir.Dir, name string) error {
	if err := unix.Kill(h.pid, 0); err != nil {
		return fmt.Errorf("pid %d: %w (%w)", h.pid, ErrNotShim, err)
	}
	return nil
}

// signal sends sig to the process; one already gone is no error.
func (h *holder) signal(sig unix.Signal) error {
	if err := unix.Kill(h.pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("send %s to %d: %w", unix.SignalName(sig), h.pid, err)
	}
	return nil
}

// wait waits up to d for the process to be gone, looking every
// pollInterval, and reports whether it is.
func (h *holder) wait(d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		if err := unix.Kill(h.pid, 0); errors.Is(err, unix.ESRCH) {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		time.Sleep(pollInterval)
	}
}
