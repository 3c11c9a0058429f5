package shim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
)

// Stop stops the shim of name and waits for it to exit. The shim gets
// SIGTERM and stops its tender (SIGTERM to its process group, SIGKILL
// after the spec's stop_timeout). A shim still alive timeout after the
// SIGTERM is SIGKILLed, its tender with it (Pdeathsig), and the tender's
// process group too if the recorded tender (pid and start time) is still
// alive; status.json then records the stop. timeout should therefore
// exceed the spec's stop_timeout. A shim that is not running is already
// stopped.
//
// Only the proven holder of shim.lock is signalled (findHolder), through a
// pidfd, and its exit is waited for on that pidfd: a pid read from a file
// is never signalled on its word.
func Stop(ctx context.Context, dbdir datadir.Dir, name string, timeout time.Duration) error {
	h, err := findHolder(ctx, dbdir, name)
	if err != nil {
		return fmt.Errorf("stop shim of %s: %w", name, err)
	}
	if h == nil {
		return nil
	}
	defer h.close()
	if err := h.signal(unix.SIGTERM); err != nil {
		return fmt.Errorf("stop shim of %s: %w", name, err)
	}
	gone, err := h.waitGone(ctx, timeout)
	if err != nil {
		return fmt.Errorf("stop shim of %s: %w", name, err)
	}
	if gone {
		return nil
	}

	// The shim has not exited: kill it, and what it leaves behind.
	if err := h.signal(unix.SIGKILL); err != nil {
		return fmt.Errorf("stop shim of %s: %w", name, err)
	}
	st, _ := ReadStatus(dbdir, name)
	if st != nil && st.ShimPID == h.pid && st.TenderPID > 0 && processAlive(st.TenderPID, st.TenderStart) {
		if err := kill(-st.TenderPID, unix.SIGKILL); err != nil {
			return fmt.Errorf("stop shim of %s: tender group: %w", name, err)
		}
	}
	gone, err = h.waitGone(ctx, killWait)
	if err != nil {
		return fmt.Errorf("stop shim of %s: %w", name, err)
	}
	if !gone {
		return fmt.Errorf("stop shim of %s: pid %d still runs %s after SIGKILL", name, h.pid, killWait)
	}
	if err := recordKilled(dbdir, name, h.pid, timeout); err != nil {
		return fmt.Errorf("stop shim of %s: %w", name, err)
	}
	return nil
}

// kill sends sig to pid (a negative pid: a process group); a process
// already gone is no error.
func kill(pid int, sig unix.Signal) error {
	if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("send %s to %d: %w", unix.SignalName(sig), pid, err)
	}
	return nil
}

// recordKilled writes in status.json that shim pid was killed by Stop, so
// that the record does not say "stopping" forever. It takes shim.lock for
// the write, and leaves a status that another shim wrote alone.
func recordKilled(dbdir datadir.Dir, name string, pid int, after time.Duration) error {
	lock, ok, err := tryLock(dbdir, dbdir.ShimLock(name))
	if err != nil || !ok {
		return err // !ok: a new shim runs and writes its own status
	}
	defer lock.Close()
	st, err := ReadStatus(dbdir, name)
	if err != nil || st.ShimPID != pid || st.State.Ended() {
		return nil
	}
	now := time.Now().UTC()
	if st.TenderPID != 0 {
		st.LastExit = &datadir.Exit{Signal: unix.SignalName(unix.SIGKILL), At: now, Stopped: true}
	}
	st.State = datadir.StateStopped
	st.Message = fmt.Sprintf("shim pid %d SIGKILLed: still running %s after SIGTERM", pid, after)
	st.TenderPID, st.TenderStart, st.StartedAt, st.NextStart = 0, 0, time.Time{}, time.Time{}
	st.UpdatedAt = now
	return dbdir.WriteJSON(dbdir.Status(name), st)
}
