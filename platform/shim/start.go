package shim

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

// startTimeout bounds Start's wait for a new shim to take shim.lock. The
// shim itself retries the lock for up to lockWait.
const startTimeout = 10 * time.Second

// Start starts a detached shim (own session, stdin /dev/null, output
// appended to shim.log) for the unikernel name, whose spec.json must be
// written already. command is how to run roost-shim: the executable and
// any leading arguments; Start appends the notification descriptor,
// dbdir and name. It returns once the shim holds shim.lock and has written
// its first status.json (it has read its spec and is starting the tender),
// or has done so and already exited (WaitRunning then says how the tender
// ended). It fails with ErrRunning if a shim is alive for name already, and
// with the tail of shim.log if the shim exits before it got that far.
func Start(ctx context.Context, command []string, dbdir datadir.Dir, name string) (pid int, err error) {
	st, err := Spawn(ctx, command, dbdir, name)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	return st.Wait(ctx)
}

// Started is a shim that Spawn started: its process, and the notifications
// it writes on the pipe Spawn handed it (one datadir.Status per status.json
// it writes). Wait and Verify read them; nothing polls files.
type Started struct {
	dbdir  datadir.Dir
	name   string
	cmd    *exec.Cmd
	exited <-chan struct{} // closed once the shim has exited and is reaped
	r      *os.File        // the pipe's read end
	events <-chan datadir.Status
	last   *datadir.Status // the last status read, if any
}

// Spawn is the first half of Start: it starts the shim process and returns
// at once. Wait does the second half (until the shim holds shim.lock and
// has written its first status, or says why not), Verify the check that
// the tender stays up, and Close lets go of the notifications. A caller
// starting many shims spawns them all, then waits: the shims' own start-up
// overlaps.
func Spawn(ctx context.Context, command []string, dbdir datadir.Dir, name string) (*Started, error) {
	if len(command) < 1 {
		return nil, fmt.Errorf("start shim of %s: no command", name)
	}
	// The starter takes shim.lock for the shim and hands it over: from
	// this instant on, observers see a shim that runs (and is starting),
	// never a unikernel with none.
	lockf, err := takeLock(ctx, dbdir, name)
	if err != nil {
		return nil, err
	}
	defer lockf.Close() // the shim holds it through its own descriptor
	logf, err := dbdir.Open(dbdir.ShimLog(name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start shim of %s: %w", name, err)
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("start shim of %s: %w", name, err)
	}
	defer devnull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start shim of %s: %w", name, err)
	}
	defer w.Close()
	cmd := &exec.Cmd{
		Path: command[0],
		// ExtraFiles[0] is descriptor 3 in the shim, [1] descriptor 4.
		Args:       append(slices.Clone(command), "-notify-fd", "3", "-lock-fd", "4", string(dbdir), name),
		Stdin:      devnull,
		Stdout:     logf,
		Stderr:     logf,
		ExtraFiles: []*os.File{w, lockf},
		// Its own session: no controlling terminal, so it outlives the
		// CLI, its terminal and its process group's signals.
		// (syscall only for exec.Cmd's own type.)
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		return nil, fmt.Errorf("start shim of %s: %w", name, err)
	}
	// The lock names its holder from the start; the shim writes the same.
	writePIDOf(lockf, cmd.Process.Pid)

	// The shim is our child until it exits, and this goroutine reaps it
	// then, so that a long-lived caller (watch) keeps no zombie. It
	// outlives Start on purpose and needs no owner to wait for it: it
	// ends when the shim does, and a short-lived caller (the CLI) exiting
	// first is fine too, since the shim is then reparented and reaped by
	// init. A double fork would avoid the goroutine, but Go cannot fork
	// without exec, so it would need an intermediate process, and the
	// shim's exit code below would be lost.
	exited := make(chan struct{})
	go func() {
		cmd.Wait() // the exit code is read from cmd.ProcessState
		close(exited)
	}()
	return &Started{dbdir: dbdir, name: name, cmd: cmd, exited: exited, r: r, events: readNotifications(r)}, nil
}

// takeLock takes shim.lock of name for a shim about to start; one that
// another shim holds is ErrRunning.
func takeLock(ctx context.Context, dbdir datadir.Dir, name string) (*os.File, error) {
	f, err := dbdir.Open(dbdir.ShimLock(name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start shim of %s: %w", name, err)
	}
	if err := lockFile(ctx, f, lockWait); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			_, pid, _ := probeLock(dbdir, dbdir.ShimLock(name))
			return nil, fmt.Errorf("start shim of %s: %w (pid %d)", name, ErrRunning, pid)
		}
		return nil, fmt.Errorf("start shim of %s: %w", name, err)
	}
	// No pid until the shim's is known: a pid left by an earlier shim
	// must not stand for this one.
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("start shim of %s: %w", name, err)
	}
	return f, nil
}

// readNotifications decodes the shim's notification lines from r onto the
// returned channel, which is closed when r ends (the shim closed it or
// exited, or Close closed r). Its goroutine ends with r.
func readNotifications(r io.Reader) <-chan datadir.Status {
	events := make(chan datadir.Status, 8)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var st datadir.Status
			if json.Unmarshal(sc.Bytes(), &st) != nil {
				continue // not from a shim of this protocol: ignore
			}
			events <- st
		}
	}()
	return events
}

// Close stops listening to the shim, which then stops notifying. The
// shim itself goes on.
func (s *Started) Close() {
	s.r.Close()
	// Unblock the reader should the channel be full.
	for range s.events {
	}
}

// Wait waits until the shim holds shim.lock and has written its first
// status, or has exited, and returns its pid.
func (s *Started) Wait(ctx context.Context) (int, error) {
	pid := s.cmd.Process.Pid
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	for s.last == nil {
		select {
		case st, ok := <-s.events:
			if !ok {
				return s.waitExit(ctx)
			}
			if st.ShimPID == pid {
				s.last = &st
			}
		case <-ctx.Done():
			return pid, fmt.Errorf("start shim of %s: %w", s.name, ctx.Err())
		case <-deadline.C:
			return pid, fmt.Errorf("start shim of %s: pid %d has not taken shim.lock after %s", s.name, pid, startTimeout)
		}
	}
	return pid, nil
}

// waitExit handles a shim that closed its notifications before its first
// status: it exited, maybe having run a tender to its end already.
func (s *Started) waitExit(ctx context.Context) (int, error) {
	pid := s.cmd.Process.Pid
	select {
	case <-s.exited:
	case <-ctx.Done():
		return pid, fmt.Errorf("start shim of %s: %w", s.name, ctx.Err())
	}
	code := s.cmd.ProcessState.ExitCode()
	if code == ExitDone && statusBy(s.dbdir, s.name, pid) {
		return pid, nil // it ran and is done already
	}
	err := fmt.Errorf("shim pid %d exited with code %d", pid, code)
	if ws, ok := s.cmd.ProcessState.Sys().(interface {
		Signaled() bool
		Signal() unix.Signal
	}); ok && ws.Signaled() {
		err = fmt.Errorf("shim pid %d was killed by %s", pid, unix.SignalName(ws.Signal()))
	}
	if code == ExitLocked {
		err = fmt.Errorf("%w: %w", ErrRunning, err)
	}
	return 0, fmt.Errorf("start shim of %s: %w%s", s.name, err, tailText("shim.log", s.dbdir.TailLines(s.dbdir.ShimLog(s.name), tailCount)))
}

// statusBy reports whether status.json of name was written by shim pid.
func statusBy(dbdir datadir.Dir, name string, pid int) bool {
	st, err := ReadStatus(dbdir, name)
	return err == nil && st.ShimPID == pid
}
