package shim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/roostd/roost/platform/datadir"
)

// tailCount is how many lines of console.log or shim.log an error shows.
const tailCount = 5

// EndError is WaitRunning's error when the tender did not stay up for the
// window: how it ended, as status.json says, and the last lines of its
// console. errors.Is(err, ErrEnded) holds for it.
type EndError struct {
	Name  string
	State datadir.State // the shim's state then; "" if the shim itself died
	Exit  *datadir.Exit // how the tender ended, if it did
	// Reason says it for people: "tender exited with code 1".
	Reason string
	// Log names the file Tail comes from: "console" (console.log), or
	// "shim.log" when the shim itself ended without a word in status.json.
	Log  string
	Tail []string // its last lines, console timestamps removed
}

func (e *EndError) Error() string { return e.Reason + tailText(e.Log, e.Tail) }

// EndState is the shim's state when the tender ended.
func (e *EndError) EndState() datadir.State { return e.State }

// Unwrap makes errors.Is(err, ErrEnded) hold.
func (e *EndError) Unwrap() error { return ErrEnded }

// WaitRunning waits until the shim of name reports a tender that has been
// running for at least window, or returns an error saying how it ended
// (with the last lines of its console) if it did not. The window counts
// from the tender's start (started_at), not from the call. It fails at
// once, with an *EndError, when the state becomes backoff, exited, failed,
// stopping or stopped, when the tender is replaced by a restart between
// two looks, or when the shim dies; and with ErrNotRunning when no shim
// has run for name.
//
// The status is the current shim's only if its shim_pid is the pid in
// shim.lock, so that a status.json left by an earlier shim is never taken
// for the outcome of the one just started.
func WaitRunning(ctx context.Context, dbdir datadir.Dir, name string, window time.Duration) error {
	type tenderID struct {
		pid   int
		start uint64
	}
	var seen tenderID
	// Polling costs: a hundred unikernels verified at once, each looked at
	// every few milliseconds, would keep a small host's CPUs busy. So the
	// interval grows while the shim starts, and once the tender runs the
	// looks are maxRunningPoll apart up to the end of its window: a tender
	// that dies within it is then in backoff, failed or exited, or
	// restarted under another pid.
	delay := time.Millisecond
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		// The lock first: a shim writes its last status before it
		// releases the lock, so a released lock means a final status.
		held, lockPID, err := probeLock(dbdir, dbdir.ShimLock(name))
		if err != nil {
			return fmt.Errorf("wait for %s: %w", name, err)
		}
		st, err := ReadStatus(dbdir, name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("wait for %s: %w", name, err)
		}
		current := st != nil && lockPID != 0 && st.ShimPID == lockPID
		switch {
		case current && st.State != datadir.StateStarting && st.State != datadir.StateRunning:
			return endError(dbdir, name, st)
		case !held && lockPID == 0:
			return fmt.Errorf("wait for %s: %w", name, ErrNotRunning)
		case !held:
			// Gone without a final status: it could not run (no spec,
			// say), or it was killed.
			return &EndError{
				Name:   name,
				Reason: fmt.Sprintf("shim pid %d exited before its tender was running for %s", lockPID, window),
				Log:    "shim.log",
				Tail:   dbdir.TailLines(dbdir.ShimLog(name), tailCount),
			}
		case current && st.State == datadir.StateRunning:
			id := tenderID{st.TenderPID, st.TenderStart}
			if seen.pid != 0 && id != seen {
				e := endError(dbdir, name, st)
				e.Reason += " and was restarted"
				return e
			}
			seen = id
			left := verifyLeft(window, st.TenderPID, st.StartedAt)
			if left <= 0 {
				return nil
			}
			delay = min(left, maxRunningPoll)
		default:
			delay = min(2*delay, maxPoll)
		}
		timer.Reset(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", name, ctx.Err())
		}
	}
}

// maxPoll bounds the growing interval of WaitRunning's looks at a shim
// that has not started its tender yet; maxRunningPoll the interval once it
// has, which is also how late a death within the window is noticed.
const (
	maxPoll        = 20 * time.Millisecond
	maxRunningPoll = 50 * time.Millisecond
)

// maxVerifyStretch bounds how far a verify window stretches past its wall
// time for a tender that waited for a CPU (verifyLeft).
const maxVerifyStretch = 5 * time.Second

// verifyLeft returns how much of the verify window is left for the tender
// pid started at start: the window minus the time the tender has had,
// which is the wall time since its start less the time its main thread,
// where Solo5's tenders run the guest, waited on a run queue. On a host busy starting a thousand tenders, a
// tender can spend its whole window waiting for a CPU without running
// the start it is to be verified on (a guest that rejects its arguments
// exits only once it has run); its window then lasts until it has had
// it, up to maxVerifyStretch more.
func verifyLeft(window time.Duration, pid int, start time.Time) time.Duration {
	elapsed := time.Since(start)
	left := window - elapsed
	if left > 0 || elapsed >= window+maxVerifyStretch {
		return left
	}
	if wait, ok := runqueueWait(pid); ok {
		left = min(window-(elapsed-wait), window+maxVerifyStretch-elapsed)
	}
	return left
}

// endError describes the end of the tender that st records.
func endError(dbdir datadir.Dir, name string, st *datadir.Status) *EndError {
	e := &EndError{Name: name, State: st.State, Exit: st.LastExit, Log: "console", Tail: dbdir.ConsoleTail(name, tailCount)}
	switch {
	case st.State == datadir.StateStopping || st.State == datadir.StateStopped:
		e.Reason = "tender was stopped"
	case st.State == datadir.StateFailed && st.LastExit == nil && st.Message != "":
		e.Reason = st.Message // "start tender: fork/exec ...", it never ran
	default:
		e.Reason = "tender " + describeExit(st.LastExit)
	}
	if st.State == datadir.StateBackoff {
		e.Reason += " (restarting)"
	}
	return e
}

// tailText renders log lines for an error message.
func tailText(log string, lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("; last lines of " + log + ":")
	for _, l := range lines {
		b.WriteString("\n    " + l)
	}
	return b.String()
}

// Verify is WaitRunning for a shim this process started: the same outcome,
// told by the shim's notifications instead of looks at its files, so that
// a tender's end within the window is known as soon as the shim has
// recorded it. Call Wait first.
func (s *Started) Verify(ctx context.Context, window time.Duration) error {
	type tenderID struct {
		pid   int
		start uint64
	}
	var seen tenderID
	var started time.Time
	var timer <-chan time.Time
	st := s.last
	for {
		if st != nil {
			switch st.State {
			case datadir.StateStarting:
			case datadir.StateRunning:
				id := tenderID{st.TenderPID, st.TenderStart}
				if seen.pid != 0 && id != seen {
					e := endError(s.dbdir, s.name, st)
					e.Reason += " and was restarted"
					return e
				}
				if seen.pid == 0 {
					started = st.StartedAt
					left := verifyLeft(window, id.pid, started)
					if left <= 0 {
						return nil
					}
					timer = time.After(left)
				}
				seen = id
			default:
				return endError(s.dbdir, s.name, st)
			}
		}
		select {
		case next, ok := <-s.events:
			if !ok {
				return s.verifyEnded(window)
			}
			st = &next
			s.last = st
		case <-timer:
			if left := verifyLeft(window, seen.pid, started); left > 0 {
				timer = time.After(left)
				st = nil
				continue
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", s.name, ctx.Err())
		}
	}
}

// verifyEnded tells why the notifications ended during the verify window:
// the shim's last status.json, if it wrote a final one, or its death.
func (s *Started) verifyEnded(window time.Duration) error {
	<-s.exited
	st, err := ReadStatus(s.dbdir, s.name)
	if err == nil && st.ShimPID == s.cmd.Process.Pid && st.State != datadir.StateStarting && st.State != datadir.StateRunning {
		return endError(s.dbdir, s.name, st)
	}
	return &EndError{
		Name:   s.name,
		Reason: fmt.Sprintf("shim pid %d exited before its tender was running for %s", s.cmd.Process.Pid, window),
		Log:    "shim.log",
		Tail:   s.dbdir.TailLines(s.dbdir.ShimLog(s.name), tailCount),
	}
}
