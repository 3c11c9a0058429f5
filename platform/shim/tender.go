package shim

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/roostd/roost/internal/fault"
	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

// drainTimeout is how long the console may go on reading after the tender
// exited, for output that a process it left behind still writes.
const drainTimeout = 500 * time.Millisecond

// tender is one run of the unikernel's tender, a child of the shim.
type tender struct {
	pid       int
	start     uint64    // clock ticks since boot (/proc/PID/stat field 22); 0 if unknown
	startedAt time.Time // when it was started
	// exited receives how it ended, once, after its console output is
	// written and it has been reaped. Its goroutine owns it.
	exited <-chan datadir.Exit

	mu     sync.Mutex // guards reaped
	reaped bool       // its pid may have been reused: signal it no more
}

// signal sends sig to the tender's process group, unless it has been
// reaped. A group already gone is no error.
func (t *tender) signal(sig unix.Signal) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reaped {
		return nil
	}
	if err := unix.Kill(-t.pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal tender group %d with %s: %w", t.pid, unix.SignalName(sig), err)
	}
	return nil
}

// markReaped stops signals to the tender: it has been, or is about to be,
// reaped.
func (t *tender) markReaped() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reaped = true
}

// startTender starts the tender of spec and returns once it runs (or
// could not be started). Its output goes to con. The exit is sent on a
// channel made before the start, so an instant exit is never lost.
//
// A goroutine, locked to its OS thread for good, pins that thread to the
// spec's cpus, forks the tender from it and waits for it. The tender's
// Pdeathsig fires when that thread exits, so the goroutine lives until the
// tender is reaped, and its thread then ends with it (a goroutine that
// exits locked takes its thread along, pinning and all). wg counts the
// goroutine for its owner, the shim.
func startTender(wg *sync.WaitGroup, spec *datadir.Spec, dev *devices, con *console, lg *log.Logger) (*tender, error) {
	if len(dev.argv) == 0 {
		return nil, errors.New("start tender: spec has no command")
	}
	startc := make(chan started, 1)
	exited := make(chan datadir.Exit, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		if onMainThread() {
			// The runtime never ends the main thread (it wedges it
			// instead), so the tender is not forked from it: it would
			// stay pinned with the shim's main thread. Holding the main
			// thread locked, this goroutine makes sure that the one it
			// starts runs elsewhere; it pinned nothing, so it unlocks.
			done := make(chan struct{})
			go func() { // owned here: waited for below
				defer close(done)
				runtime.LockOSThread() // never unlocked: see above
				superviseTender(spec, dev, con, lg, startc, exited)
			}()
			<-done
			runtime.UnlockOSThread()
			return
		}
		// never unlocked: see above
		superviseTender(spec, dev, con, lg, startc, exited)
	}()
	s := <-startc
	return s.t, s.err
}

// started is the outcome of a tender's start.
type started struct {
	t   *tender
	err error
}

// superviseTender runs on a locked OS thread, which it leaves locked, for
// the tender's lifetime: it forks the tender, sends the outcome on startc,
// copies its output to con and sends its exit on exited.
func superviseTender(spec *datadir.Spec, dev *devices, con *console, lg *log.Logger, startc chan<- started, exited chan datadir.Exit) {
	t, cmd, r, err := forkTender(spec, dev, exited)
	startc <- started{t, err}
	if err != nil {
		return
	}
	copied := make(chan struct{})
	go func() { // owned here: waited for below
		defer close(copied)
		if err := con.copy(r); err != nil {
			lg.Printf("console of tender pid %d: %v", t.pid, err)
		}
	}()

	switch err := waitExited(t.pid); {
	case err == nil:
		// Whatever the tender left in its group goes with it; its
		// pid, the group's id, is not reused before the reap below.
		if err := t.signal(unix.SIGKILL); err != nil {
			lg.Print(err)
		}
		t.markReaped()
	case errors.Is(err, errors.ErrUnsupported):
		// cmd.Wait waits and reaps in one.
	default:
		lg.Printf("wait for tender pid %d: %v", t.pid, err)
	}
	if err := cmd.Wait(); err != nil && cmd.ProcessState == nil {
		lg.Printf("reap tender pid %d: %v", t.pid, err)
	}
	t.markReaped()
	if spec.Target == "hvt" {
		// FreeBSD's hvt leaves its VM behind when it is SIGKILLed.
		if err := DestroyVM(context.Background(), t.pid); err != nil {
			lg.Print(err)
		}
	}
	at := time.Now()
	select {
	case <-copied:
	case <-time.After(drainTimeout):
		lg.Printf("console of tender pid %d: still open %s after its exit; closing it", t.pid, drainTimeout)
	}
	r.Close()
	<-copied
	exited <- exitOf(cmd.ProcessState, at)
}

// forkTender starts the tender on the calling (locked) thread: pinned to
// spec.CPUs, stdin /dev/null, stdout and stderr on one pipe whose reading
// end it returns, dev's files as its descriptors 3, 4, ...
func forkTender(spec *datadir.Spec, dev *devices, exited <-chan datadir.Exit) (*tender, *exec.Cmd, *os.File, error) {
	if len(spec.CPUs) > 0 {
		if err := setAffinity(spec.CPUs); err != nil {
			return nil, nil, nil, fmt.Errorf("start tender: %w", err)
		}
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("start tender: %w", err)
	}
	defer devnull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("start tender: %w", err)
	}
	cmd := &exec.Cmd{
		Path:        dev.argv[0],
		Args:        dev.argv,
		Env:         fault.Environ(), // a tender never crashes at roost's fault points
		Stdin:       devnull,
		Stdout:      w,
		Stderr:      w,
		ExtraFiles:  dev.files,
		SysProcAttr: tenderSysProcAttr(),
	}
	if spec.UID != 0 {
		err = unprivileged(cmd, spec, dev)
	}
	if err == nil {
		err = cmd.Start()
	}
	w.Close()
	if err != nil {
		r.Close()
		return nil, nil, nil, fmt.Errorf("start tender: %w", err)
	}
	t := &tender{pid: cmd.Process.Pid, startedAt: time.Now(), exited: exited}
	// Unreaped, the child's /proc entry is there even if it exited.
	if start, err := procStartTime(t.pid); err == nil {
		t.start = start
	}
	return t, cmd, r, nil
}

// unprivileged has cmd start the tender under spec's user with nothing
// else (issue 13): no capabilities, NO_NEW_PRIVS, spec's groups only, an
// empty environment, its own directory as working directory, and its
// taps. It changes the calling thread for good (dropTenderPrivileges):
// the locked thread that forks the tender and ends with it.
func unprivileged(cmd *exec.Cmd, spec *datadir.Spec, dev *devices) error {
	if err := ownTaps(spec); err != nil {
		return err
	}
	if err := dropTenderPrivileges(); err != nil {
		return err
	}
	if err := cloexecAll(); err != nil {
		return err
	}
	groups := make([]uint32, len(spec.Groups))
	for i, g := range spec.Groups {
		groups[i] = uint32(g)
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(spec.UID), Gid: uint32(spec.GID), Groups: groups}
	cmd.Env = []string{} // not nil, which is the shim's
	// The tender's user cannot reach its directory by path (the data
	// directory is root's, 0700), so the thread, which has a working
	// directory of its own, goes there before it forks.
	return chdirThread(dev.dir)
}

// exitOf turns a wait's outcome into a datadir.Exit.
func exitOf(ps *os.ProcessState, at time.Time) datadir.Exit {
	e := datadir.Exit{At: at.UTC()}
	if ps == nil {
		// Wait failed without a status: record it as a failure.
		code := -1
		e.Code = &code
		return e
	}
	if ws, ok := ps.Sys().(interface {
		Signaled() bool
		Signal() unix.Signal
	}); ok && ws.Signaled() {
		e.Signal = unix.SignalName(ws.Signal())
		if e.Signal == "" {
			e.Signal = ws.Signal().String()
		}
		return e
	}
	code := ps.ExitCode()
	e.Code = &code
	return e
}
