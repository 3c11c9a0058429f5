package shim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
)

// Exit codes of `roost shim`, a contract between the shim and those who
// start it. Whatever the code, status.json holds the record of the tender;
// the code says only whether the shim itself could do its job.
const (
	// ExitDone: the tender ended for good (exited, failed, also when it
	// could not be started at all) or was stopped, and status.json says
	// so.
	ExitDone = 0
	// ExitError: the shim could not run (no spec, cannot write status or
	// console, a tender that survived SIGKILL). shim.log says why.
	ExitError = 1
	// ExitLocked: another shim holds shim.lock: one is already running.
	// Nothing was changed.
	ExitLocked = 3
)

// Errors of the API, for errors.Is.
var (
	// ErrRunning: a shim already runs for the unikernel (Start).
	ErrRunning = errors.New("shim already running")
	// ErrNotRunning: no shim runs for the unikernel (Reload, WaitRunning).
	ErrNotRunning = errors.New("shim not running")
	// ErrEnded: the tender did not stay up (WaitRunning; see EndError).
	ErrEnded = errors.New("tender did not stay up")
)

// pollInterval is how often Start, Stop and WaitRunning look again.
const pollInterval = 5 * time.Millisecond

// Alive reports whether a shim holds shim.lock of name, and its pid. The
// pid is the one the shim wrote into shim.lock when it took it (the same
// as shim_pid in status.json once the shim has written that), or 0 for an
// instant after it took the lock; it is 0 too when no shim is alive, so
// that nobody signals a pid whose liveness the lock does not vouch for.
func Alive(dbdir datadir.Dir, name string) (alive bool, pid int, err error) {
	held, pid, err := probeLock(dbdir, dbdir.ShimLock(name))
	if err != nil || !held {
		return false, 0, err
	}
	return true, pid, nil
}

// AliveIn is Alive for the unikernel whose directory u holds open: a
// plan that reads every unikernel's directory probes each lock through
// it.
func AliveIn(u *datadir.Subdir) (alive bool, pid int, err error) {
	held, pid, err := probeLockIn(u)
	if err != nil || !held {
		return false, 0, err
	}
	return true, pid, nil
}

// Reload tells the shim of name to read spec.json again (SIGHUP), for the
// fields that change in place: restart policy, stop timeout. It fails
// with ErrNotRunning when no shim is alive. Only the proven holder of
// shim.lock is signalled (findHolder).
func Reload(dbdir datadir.Dir, name string) error {
	h, err := findHolder(context.Background(), dbdir, name)
	if err != nil {
		return fmt.Errorf("reload shim of %s: %w", name, err)
	}
	if h == nil {
		return fmt.Errorf("reload shim of %s: %w", name, ErrNotRunning)
	}
	defer h.close()
	if err := h.signal(unix.SIGHUP); err != nil {
		return fmt.Errorf("reload shim of %s: %w", name, err)
	}
	return nil
}

// ReadStatus reads status.json of name.
func ReadStatus(dbdir datadir.Dir, name string) (*datadir.Status, error) {
	var s datadir.Status
	if err := dbdir.ReadJSON(dbdir.Status(name), &s); err != nil {
		return nil, err
	}
	return &s, nil
}
