//go:build unix

package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

// ErrLocked means another process holds the data directory's lock.
var ErrLocked = errors.New("data directory is locked")

// LockedError says who holds the lock of a data directory, as far as the
// lock file tells: an exclusive holder writes its pid, command and start
// time there; shared holders (plans) write nothing. It matches ErrLocked
// with errors.Is.
type LockedError struct {
	DBDir datadir.Dir
	// Holder is the exclusive holder, nil when the lock is held shared
	// or the recorded holder has exited.
	Holder *LockHolder
	// Waited is how long Lock tried.
	Waited time.Duration
}

// LockHolder is the contents of roost.lock while a process holds it
// exclusively.
type LockHolder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "data directory %s is locked by ", e.DBDir)
	if h := e.Holder; h != nil {
		fmt.Fprintf(&b, "pid %d (%s) since %s", h.PID, h.Command, h.Since.Format(time.DateTime))
	} else {
		b.WriteString("another roost process (a plan, or one that has not said who it is)")
	}
	if e.Waited > 0 {
		fmt.Fprintf(&b, "; waited %s", e.Waited.Round(time.Millisecond))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// maxLockDelay caps the pause between two attempts to take the lock.
const maxLockDelay = 250 * time.Millisecond

// Lock takes the lock of dbdir (flock(2) on dbdir/roost.lock): exclusive
// for apply, destroy and watch, shared for plan. It tries until timeout
// has passed (0: once) or ctx is done; flock has no wait with a timeout,
// so it polls, backing off to maxLockDelay. If the lock stays held, the
// error is a *LockedError naming the holder. An exclusive holder records
// its pid and command line in the lock file and clears them on release.
//
// A shared lock of a data directory that does not exist yet takes
// nothing: there is nothing to read, and creating the directory for a plan
// would be a change. An exclusive lock creates the directory.
func Lock(ctx context.Context, dbdir datadir.Dir, exclusive bool, timeout time.Duration) (release func(), err error) {
	if !exclusive {
		if _, err := os.Lstat(string(dbdir)); errors.Is(err, fs.ErrNotExist) {
			return func() {}, nil
		}
	} else if err := os.MkdirAll(string(dbdir), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dbdir, err)
	}
	f, err := dbdir.Open(dbdir.Lock(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dbdir, err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	start := time.Now()
	delay := 10 * time.Millisecond
	for {
		err := lock1(f, how)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", dbdir, err)
		}
		left := timeout - time.Since(start)
		if left <= 0 {
			lerr := &LockedError{DBDir: dbdir, Holder: readHolder(f), Waited: timeout}
			f.Close()
			return nil, lerr
		}
		t := time.NewTimer(min(delay, left))
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", dbdir, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, maxLockDelay)
	}
	if exclusive {
		if err := writeHolder(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", dbdir, err)
		}
	}
	return sync.OnceFunc(func() {
		if exclusive {
			f.Truncate(0)
		}
		f.Close() // releases the flock
	}), nil
}

// lock1 makes one attempt to flock f.
func lock1(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

func writeHolder(f *os.File) error {
	b, err := json.Marshal(LockHolder{PID: os.Getpid(), Command: commandLine(), Since: time.Now()})
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt(append(b, '\n'), 0)
	return err
}

// commandLine is the process's command line, shortened for a message.
func commandLine() string {
	s := strings.Join(os.Args, " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// readHolder returns the exclusive holder recorded in the lock file, or
// nil if none is recorded or the recorded process has exited (it was
// killed before it could clear the record, and shared holders hold the
// lock now).
func readHolder(f *os.File) *LockHolder {
	b := make([]byte, 4096)
	n, _ := f.ReadAt(b, 0)
	var h LockHolder
	if n == 0 || json.Unmarshal(b[:n], &h) != nil || h.PID <= 0 {
		return nil
	}
	if err := unix.Kill(h.PID, 0); errors.Is(err, unix.ESRCH) {
		return nil
	}
	return &h
}
