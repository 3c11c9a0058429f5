package shim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
)

// errLocked says that another process holds shim.lock.
var errLocked = errors.New("shim.lock is held by another shim")

// lockPoll is how often the shim retries shim.lock while observers probe it.
const lockPoll = 10 * time.Millisecond

// lockShim takes shim.lock in the unikernel directory u exclusively and
// writes the caller's pid
// into it. Observers (probeLock) hold it shared for an instant, so it
// retries for up to wait before it concludes that another shim holds it
// (errLocked). The lock lasts as long as the returned file stays open; the
// file is close-on-exec, so the tender never inherits it.
func lockShim(ctx context.Context, u *datadir.Subdir, wait time.Duration) (*os.File, error) {
	path := u.Path("shim.lock")
	f, err := u.Open("shim.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock shim: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := flock(f, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, errLocked)
		}
		if err := sleep(ctx, lockPoll); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
	// The pid of the holder, in place: a reader sees the old pid or the
	// new one, and the file names the last shim that held it even after
	// it exited (WaitRunning tells a stale status.json from it).
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if _, err := f.WriteAt(pid, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write pid to %s: %w", path, err)
	}
	if err := f.Truncate(int64(len(pid))); err != nil {
		f.Close()
		return nil, fmt.Errorf("write pid to %s: %w", path, err)
	}
	return f, nil
}

// probeLock reports whether a process holds shim.lock at path, and the
// pid the last holder wrote into it (0 if none did yet). It holds the lock
// shared for an instant. A missing lock file is not held.
func probeLock(d datadir.Dir, path string) (held bool, pid int, err error) {
	f, err := d.Open(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("probe shim lock: %w", err)
	}
	defer f.Close()
	switch err := flock(f, unix.LOCK_SH|unix.LOCK_NB); {
	case err == nil:
		held = false // released again by Close
	case errors.Is(err, unix.EWOULDBLOCK):
		held = true
	default:
		return false, 0, fmt.Errorf("probe %s: %w", path, err)
	}
	// Read after the probe: a holder writes its pid right after locking.
	b, err := io.ReadAll(io.LimitReader(f, 32))
	if err != nil {
		return false, 0, fmt.Errorf("read %s: %w", path, err)
	}
	pid, _ = strconv.Atoi(strings.TrimSpace(string(b))) // empty or foreign content: unknown
	return held, pid, nil
}

// tryLock takes shim.lock at path exclusively if nobody holds it, for
// someone who is not a shim to write the status of a dead one. ok is false
// if the lock is held. The caller closes f to release it.
func tryLock(d datadir.Dir, path string) (f *os.File, ok bool, err error) {
	f, err = d.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, false, fmt.Errorf("lock shim: %w", err)
	}
	switch err := flock(f, unix.LOCK_EX|unix.LOCK_NB); {
	case err == nil:
		return f, true, nil
	case errors.Is(err, unix.EWOULDBLOCK):
		f.Close()
		return nil, false, nil
	default:
		f.Close()
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
}

// flock calls flock(2), again when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
