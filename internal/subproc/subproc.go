package subproc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrTimeout means a command did not finish before its deadline; its
// process group was killed.
var ErrTimeout = errors.New("timed out")

// MaxOutput bounds what Run keeps of each of a command's output streams;
// the rest is read and dropped, so a command printing without end costs
// no memory.
const MaxOutput = 64 << 10

// waitDelay is how long Wait waits for the output pipes after the command
// exited or was killed; a process outside the group may hold them.
const waitDelay = 500 * time.Millisecond

// Result is what a command wrote, each stream cut at MaxOutput bytes.
type Result struct {
	Stdout, Stderr []byte
}

// Run runs path with args, stdin /dev/null, in a process group of its own,
// and waits at most timeout for it. At the deadline, or when ctx ends
// first, the whole group is killed with SIGKILL, and Run returns an error
// wrapping ErrTimeout, or ctx's error. Once the command exits, what is left
// of its group is killed as well. A command that exits non-zero yields an
// *exec.ExitError, with the output it wrote.
func Run(ctx context.Context, timeout time.Duration, path string, args ...string) (Result, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr capped
	cmd := exec.CommandContext(tctx, path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = waitDelay
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	// Until the leader is reaped its pid stays reserved as the group's
	// id, so the kill below cannot reach a group that is not ours.
	waited := waitExited(cmd.Process.Pid)
	if waited {
		killGroup(cmd.Process.Pid)
	}
	err := cmd.Wait()
	if !waited {
		killGroup(cmd.Process.Pid)
	}
	res := Result{Stdout: stdout.bytes(), Stderr: stderr.bytes()}
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("%s: %w", path, ctx.Err())
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		return res, fmt.Errorf("%w after %s; its process group was killed", ErrTimeout, timeout)
	case errors.Is(err, exec.ErrWaitDelay):
		// The command exited; only a process outside its group kept
		// the pipes open.
		return res, nil
	}
	return res, err
}

// killGroup SIGKILLs the process group pgid; a group already gone is
// success.
func killGroup(pgid int) error {
	if err := unix.Kill(-pgid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return err
	}
	return nil
}

// capped is an io.Writer keeping the first MaxOutput bytes written to it.
type capped struct {
	mu  sync.Mutex // guards buf
	buf []byte
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := MaxOutput - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *capped) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf
}
