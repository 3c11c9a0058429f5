package shim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
)

// tailCount is how many lines of console.log or shim.log an error shows.
const tailCount = 5

// EndError is WaitRunning's error when the tender did not stay up for the
// window: how it ended, as status.json says, and the last lines of its
// console. errors.Is(err, ErrEnded) holds for it.
type EndError struct {
	Name  string
	State plan.State // the shim's state then; "" if the shim itself died
	Exit  *plan.Exit // how the tender ended, if it did
	// Reason says it for people: "tender exited with code 1".
	Reason string
	// Log names the file Tail comes from: "console" (console.log), or
	// "shim.log" when the shim itself ended without a word in status.json.
	Log  string
	Tail []string // its last lines, console timestamps removed
}

func (e *EndError) Error() string { return e.Reason + tailText(e.Log, e.Tail) }

// EndState is the shim's state when the tender ended.
func (e *EndError) EndState() plan.State { return e.State }

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
func WaitRunning(ctx context.Context, dbdir platform.DBDir, name string, window time.Duration) error {
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
		held, lockPID, err := probeLock(dbdir.ShimLock(name))
		if err != nil {
			return fmt.Errorf("wait for %s: %w", name, err)
		}
		st, err := ReadStatus(dbdir, name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("wait for %s: %w", name, err)
		}
		current := st != nil && lockPID != 0 && st.ShimPID == lockPID
		switch {
		case current && st.State != plan.StateStarting && st.State != plan.StateRunning:
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
				Tail:   tailLines(dbdir.ShimLog(name), tailCount),
			}
		case current && st.State == plan.StateRunning:
			id := tenderID{st.TenderPID, st.TenderStart}
			if seen.pid != 0 && id != seen {
				e := endError(dbdir, name, st)
				e.Reason += " and was restarted"
				return e
			}
			seen = id
			left := window - time.Since(st.StartedAt)
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

// endError describes the end of the tender that st records.
func endError(dbdir platform.DBDir, name string, st *plan.Status) *EndError {
	e := &EndError{Name: name, State: st.State, Exit: st.LastExit, Log: "console", Tail: consoleTail(dbdir, name)}
	switch {
	case st.State == plan.StateStopping || st.State == plan.StateStopped:
		e.Reason = "tender was stopped"
	case st.State == plan.StateFailed && st.LastExit == nil && st.Message != "":
		e.Reason = st.Message // "start tender: fork/exec ...", it never ran
	default:
		e.Reason = "tender " + describeExit(st.LastExit)
	}
	if st.State == plan.StateBackoff {
		e.Reason += " (restarting)"
	}
	return e
}

// consoleTail returns the last lines of the unikernel's console, from
// console.log.1 too when console.log was just rotated, without their
// timestamps.
func consoleTail(dbdir platform.DBDir, name string) []string {
	lines := tailLines(dbdir.Console(name), tailCount)
	if len(lines) < tailCount {
		lines = append(tailLines(dbdir.ConsoleRotated(name), tailCount-len(lines)), lines...)
	}
	for i, l := range lines {
		lines[i] = stripStamp(l)
	}
	return lines
}

// stripStamp removes a console line's timestamp.
func stripStamp(line string) string {
	n := len(stampLayout)
	if len(line) > n && line[n] == ' ' {
		if _, err := time.Parse(stampLayout, line[:n]); err == nil {
			return line[n+1:]
		}
	}
	return line
}

// tailLines returns the last n lines of the file at path; none if it
// cannot be read.
func tailLines(path string, n int) []string {
	const chunk = 16 << 10
	f, err := platform.OpenNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	off := max(fi.Size()-chunk, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, chunk))
	if err != nil {
		return nil
	}
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	if off > 0 && len(lines) > 1 {
		lines = lines[1:] // the first one is cut
	}
	return lines[max(len(lines)-n, 0):]
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
