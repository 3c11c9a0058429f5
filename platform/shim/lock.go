package shim

import (
	"context"
	"errors"
	"fmt"
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
// writes the caller's pid into it. Observers (probeLock) hold it shared
// for an instant, so it retries for up to wait before it concludes that
// another shim holds it (errLocked). The lock lasts as long as the
// returned file stays open; the file is close-on-exec, so the tender never
// inherits it.
func lockShim(ctx context.Context, u *datadir.Subdir, wait time.Duration) (*os.File, error) {
	f, err := u.Open("shim.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock shim: %w", err)
	}
	if err := lockFile(ctx, f, wait); err != nil {
		f.Close()
		return nil, err
	}
	if err := writePID(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lockFile takes f's flock exclusively, retrying for up to wait while
// observers hold it shared.
func lockFile(ctx context.Context, f *os.File, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := flock(f, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lock %s: %w", f.Name(), errLocked)
		}
		if err := sleep(ctx, lockPoll); err != nil {
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
	}
}

// adoptLock takes over the shim.lock that the shim's starter took for it
// and handed over as f: it checks that f is u's shim.lock and that its
// lock is held through f (taking an exclusive flock that f already holds
// succeeds at once), makes it close-on-exec, and writes the pid.
func adoptLock(u *datadir.Subdir, f *os.File) error {
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return fmt.Errorf("lock descriptor: %w", err)
	}
	own, err := u.Open("shim.lock", os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("lock shim: %w", err)
	}
	defer own.Close()
	a, err1 := f.Stat()
	b, err2 := own.Stat()
	if err1 != nil || err2 != nil || !os.SameFile(a, b) {
		return fmt.Errorf("the lock descriptor handed over is not %s", u.Path("shim.lock"))
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("lock %s: the handed-over descriptor does not hold it: %w", u.Path("shim.lock"), errLocked)
	}
	return writePID(f)
}

// writePID writes the caller's pid into the held lock file f, in place: a
// reader sees the old pid or the new one, and the file names the last
// shim that held it even after it exited (WaitRunning tells a stale
// status.json from it).
func writePID(f *os.File) error { return writePIDOf(f, os.Getpid()) }

// writePIDOf writes pid into the held lock file f.
func writePIDOf(f *os.File, p int) error {
	pid := []byte(strconv.Itoa(p) + "\n")
	if _, err := f.WriteAt(pid, 0); err != nil {
		return fmt.Errorf("write pid to %s: %w", f.Name(), err)
	}
	if err := f.Truncate(int64(len(pid))); err != nil {
		return fmt.Errorf("write pid to %s: %w", f.Name(), err)
	}
	return nil
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
	return probeFD(int(f.Fd()), path)
}

// probeLockIn is probeLock for the shim.lock of the unikernel directory
// u, on a bare descriptor.
func probeLockIn(u *datadir.Subdir) (held bool, pid int, err error) {
	fd, err := u.OpenFD("shim.lock", os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("probe shim lock: %w", err)
	}
	defer unix.Close(fd)
	return probeFD(fd, u.Path("shim.lock"))
}

// probeFD is probeLock on the open lock file fd (path, for messages).
func probeFD(fd int, path string) (held bool, pid int, err error) {
	switch err := flockFD(fd, unix.LOCK_SH|unix.LOCK_NB); {
	case err == nil:
		held = false // released again by the caller's close
	case errors.Is(err, unix.EWOULDBLOCK):
		held = true
	default:
		return false, 0, fmt.Errorf("probe %s: %w", path, err)
	}
	// Read after the probe: a holder writes its pid right after locking.
	var buf [32]byte
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, 0, fmt.Errorf("read %s: %w", path, err)
		}
		if m == 0 {
			break
		}
		n += m
	}
	pid, _ = strconv.Atoi(strings.TrimSpace(string(buf[:n]))) // empty or foreign content: unknown
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
func flock(f *os.File, how int) error { return flockFD(int(f.Fd()), how) }

func flockFD(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
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
