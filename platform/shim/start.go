package shim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/roostd/roost/platform/datadir"
)

// startTimeout bounds Start's wait for a new shim to take shim.lock. The
// shim itself retries the lock for up to lockWait.
const startTimeout = 10 * time.Second

// Start starts a detached shim (own session, stdin /dev/null, output
// appended to shim.log) for the unikernel name, whose spec.json must be
// written already. command is how to run roost: command[0] is the
// executable and command[1] its argv[0] ("roost"); Start appends "shim",
// dbdir and name. It returns once the shim holds shim.lock and has written
// its first status.json (it has read its spec and is starting the tender),
// or has done so and already exited (WaitRunning then says how the tender
// ended). It fails with ErrRunning if a shim is alive for name already, and
// with the tail of shim.log if the shim exits before it got that far.
func Start(ctx context.Context, command []string, dbdir datadir.Dir, name string) (pid int, err error) {
	wait, err := Spawn(ctx, command, dbdir, name)
	if err != nil {
		return 0, err
	}
	return wait(ctx)
}

// Spawn is the first half of Start: it starts the shim process and returns
// at once, with a function that does the second half (waits until the shim
// holds shim.lock and has written its first status, or says why not). A
// caller starting many shims spawns them all, then waits: the shims' own
// start-up overlaps.
func Spawn(ctx context.Context, command []string, dbdir datadir.Dir, name string) (wait func(context.Context) (int, error), err error) {
	if len(command) < 2 {
		return nil, fmt.Errorf("start shim of %s: command %q: want the executable and argv[0]", name, command)
	}
	alive, pid, err := Alive(dbdir, name)
	if err != nil {
		return nil, fmt.Errorf("start shim of %s: %w", name, err)
	}
	if alive {
		return nil, fmt.Errorf("start shim of %s: %w (pid %d)", name, ErrRunning, pid)
	}
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
	cmd := &exec.Cmd{
		Path:   command[0],
		Args:   append(slices.Clone(command[1:]), "shim", string(dbdir), name),
		Stdin:  devnull,
		Stdout: logf,
		Stderr: logf,
		// Its own session: no controlling terminal, so it outlives the
		// CLI, its terminal and its process group's signals.
		// (syscall only for exec.Cmd's own type.)
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start shim of %s: %w", name, err)
	}

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

	return func(ctx context.Context) (int, error) { return waitStarted(ctx, cmd, exited, dbdir, name) }, nil
}

// waitStarted waits until the shim cmd holds shim.lock and has written
// its first status, or has exited; exited is closed when it has.
func waitStarted(ctx context.Context, cmd *exec.Cmd, exited <-chan struct{}, dbdir datadir.Dir, name string) (int, error) {
	pid := cmd.Process.Pid
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	lock := dbdir.ShimLock(name)
	for {
		held, lockPID, err := probeLock(dbdir, lock)
		if err != nil {
			return pid, fmt.Errorf("start shim of %s: %w", name, err)
		}
		if held && lockPID == pid && statusBy(dbdir, name, pid) {
			return pid, nil
		}
		select {
		case <-exited:
			code := cmd.ProcessState.ExitCode()
			if code == ExitDone && statusBy(dbdir, name, pid) {
				return pid, nil // it ran and is done already
			}
			err := fmt.Errorf("shim pid %d exited with code %d", pid, code)
			if code == ExitLocked {
				err = fmt.Errorf("%w: %w", ErrRunning, err)
			}
			return 0, fmt.Errorf("start shim of %s: %w%s", name, err, tailText("shim.log", dbdir.TailLines(dbdir.ShimLog(name), tailCount)))
		case <-ctx.Done():
			return pid, fmt.Errorf("start shim of %s: %w", name, ctx.Err())
		case <-deadline.C:
			return pid, fmt.Errorf("start shim of %s: pid %d has not taken shim.lock after %s", name, pid, startTimeout)
		case <-tick.C:
		}
	}
}

// statusBy reports whether status.json of name was written by shim pid.
func statusBy(dbdir datadir.Dir, name string, pid int) bool {
	st, err := ReadStatus(dbdir, name)
	return err == nil && st.ShimPID == pid
}
