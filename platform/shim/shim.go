package shim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/internal/fault"
	"github.com/roostd/roost/platform/datadir"
)

// Bounds of the shim's own waits.
const (
	// lockWait is how long Run retries shim.lock, which observers hold
	// shared for an instant, before it concludes that another shim runs.
	lockWait = 2 * time.Second
	// killWait bounds the wait for a tender after SIGKILL.
	killWait = 5 * time.Second
)

// Run is the shim's main: it supervises the unikernel name of dbdir until
// its tender has ended for good or it is stopped, and returns an exit code.
// log receives the shim's own log lines (shim.log).
//
// SIGTERM and SIGINT stop the tender (SIGTERM to its process group, SIGKILL
// after the spec's stop_timeout); a second one SIGKILLs at once. SIGHUP
// reloads spec.json. ctx being done is a stop too.
func Run(ctx context.Context, dbdir datadir.Dir, name string, log io.Writer) int {
	return run1(ctx, dbdir, name, log, nil, nil)
}

// run1 is Run with a notification descriptor (nil for none), which it
// closes.
func run1(ctx context.Context, dbdir datadir.Dir, name string, log io.Writer, notify, lock *os.File) int {
	// Caught, not ignored: a caught signal is reset to its default action
	// by exec, so the tender starts with default actions even if the shim
	// was started with SIGINT ignored (solo5-spt installs no handlers).
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)
	defer signal.Stop(signals)
	cfg := config{
		dbdir:      dbdir,
		name:       name,
		log:        log,
		signals:    signals,
		consoleMax: DefaultConsoleMax,
		lockWait:   lockWait,
		killWait:   killWait,
	}
	if notify != nil {
		// Not the tender's to inherit.
		unix.FcntlInt(notify.Fd(), unix.F_SETFD, unix.FD_CLOEXEC)
		cfg.notify = newNotifier(notify)
		defer cfg.notify.close()
	}
	cfg.handedLock = lock
	if subreaperSupported {
		// Separate from the exit signals; subscribed before any start.
		children := make(chan os.Signal, 1)
		signal.Notify(children, unix.SIGCHLD)
		defer signal.Stop(children)
		cfg.children = children
	}
	return run(ctx, cfg)
}

// config is one run of the shim: what Run takes from its arguments and the
// OS, and what tests, which run the shim in-process, set themselves.
type config struct {
	dbdir datadir.Dir
	name  string
	log   io.Writer
	// signals carries stop (SIGTERM, SIGINT) and reload (SIGHUP) requests.
	signals <-chan os.Signal
	// children carries SIGCHLD. When set, the shim makes itself the child
	// subreaper and reaps the orphans it adopts; tests running the shim
	// in-process leave it nil, since reaping would take other children
	// of the test process.
	children   <-chan os.Signal
	consoleMax int64         // rotate console.log past this size
	lockWait   time.Duration // see the constant lockWait
	killWait   time.Duration // see the constant killWait
	// onStatus, if set, sees every status written, in order (tests).
	onStatus func(datadir.Status)
	// notify, if set, is told every status written (Spawn's pipe).
	notify *notifier
	// udir is the unikernel's directory, which run opens and holds.
	udir *datadir.Subdir
	// handedLock, if set, is shim.lock as the starter took it for the
	// shim (Spawn), held through this descriptor.
	handedLock *os.File
}

// run is Run with its inputs explicit.
func run(ctx context.Context, cfg config) int {
	lg := log.New(cfg.log, fmt.Sprintf("shim %s[%d]: ", cfg.name, os.Getpid()),
		log.LUTC|log.Ldate|log.Ltime|log.Lmicroseconds|log.Lmsgprefix)

	// The unikernel's directory, held for the shim's life: every file the
	// shim writes is in it, so that renaming it or planting a link in its
	// place redirects nothing.
	udir, err := cfg.dbdir.OpenUnikernel(cfg.name)
	if err != nil {
		lg.Print(err)
		return ExitError
	}
	defer udir.Close()
	cfg.udir = udir
	var lock *os.File
	if cfg.handedLock != nil {
		lock, err = cfg.handedLock, adoptLock(udir, cfg.handedLock)
	} else {
		lock, err = lockShim(ctx, udir, cfg.lockWait)
	}
	if errors.Is(err, errLocked) {
		lg.Print(err)
		return ExitLocked
	}
	if err != nil {
		lg.Print(err)
		return ExitError
	}
	defer lock.Close() // released last, after the final status.json
	fault.Point("shim.locked")

	var spec datadir.Spec
	if err := udir.ReadJSON("spec.json", &spec); err != nil {
		lg.Printf("read spec: %v", err)
		return ExitError
	}
	if cfg.children != nil {
		if err := setSubreaper(); err != nil {
			lg.Print(err)
		}
	}
	con, err := openConsole(udir, "console.log", "console.log.1", cfg.consoleMax)
	if err != nil {
		lg.Print(err)
		return ExitError
	}
	defer con.Close()

	s := &supervisor{
		cfg:     cfg,
		log:     lg,
		console: con,
		spec:    &spec,
		status:  datadir.Status{BootID: bootID(), SpecDigest: datadir.Digest(&spec)},
	}
	code := s.loop(ctx)
	if s.tender == nil {
		s.wg.Wait()
	} // else a tender survived SIGKILL: its goroutine cannot be waited for
	lg.Printf("exit %d (%s)", code, s.status.State)
	return code
}

// supervisor runs one unikernel's tender. Its fields belong to the loop's
// goroutine alone, so it has no mutex; the tender goroutines talk to it
// through channels.
type supervisor struct {
	cfg     config
	log     *log.Logger
	console *console
	spec    *datadir.Spec  // as read; Restart and StopTimeout change on reload
	status  datadir.Status // as last written
	tender  *tender        // the current tender; nil when none runs
	streak  int            // consecutive restarts, for the backoff delay
	code    int            // Run's exit code once ended
	// writeFailed says that the last status write failed.
	writeFailed bool
	wg          sync.WaitGroup // the tender goroutines
	image       imageCache     // the image as verified by an earlier start
}

// loop runs the state machine until an ended state and returns Run's exit
// code.
func (s *supervisor) loop(ctx context.Context) int {
	if err := s.move(datadir.StateStarting, ""); err != nil {
		s.log.Print(err)
		return ExitError
	}
	if s.writeFailed {
		return ExitError // cannot record anything: do not start a tender
	}
	for {
		var err error
		switch st := s.status.State; st {
		case datadir.StateStarting:
			err = s.start()
		case datadir.StateRunning:
			err = s.running(ctx)
		case datadir.StateBackoff:
			err = s.backoff(ctx)
		case datadir.StateStopping:
			err = s.stopping()
		default:
			if st.Ended() {
				return s.code
			}
			err = fmt.Errorf("BUG: shim in unknown state %q", st)
		}
		if err != nil {
			s.log.Print(err)
			s.abort()
			return ExitError
		}
	}
}

// start starts the tender: running, or failed if it cannot be started.
func (s *supervisor) start() error {
	dev, err := openDevices(s.cfg.dbdir, s.spec, &s.image)
	if err != nil {
		s.log.Printf("attempt %d: %v", s.status.Restarts+1, err)
		return s.move(datadir.StateFailed, err.Error())
	}
	s.log.Printf("attempt %d, starting %q", s.status.Restarts+1, dev.argv)
	t, err := startTender(&s.wg, s.spec, dev, s.console, s.log)
	dev.close() // the tender has its own copies
	if err != nil {
		s.log.Print(err)
		return s.move(datadir.StateFailed, err.Error())
	}
	s.tender = t
	s.status.TenderPID = t.pid
	s.status.TenderStart = t.start
	s.status.StartedAt = t.startedAt.UTC()
	s.log.Printf("tender pid %d running", t.pid)
	fault.Point("shim.tender.started")
	// Once the start has settled, the shim waits, running little of
	// its code: let go of the rest.
	time.AfterFunc(trimDelay, trimCode)
	return s.move(datadir.StateRunning, "")
}

// running waits for one event while the tender runs.
func (s *supervisor) running(ctx context.Context) error {
	select {
	case e := <-s.tender.exited:
		return s.exited(e)
	case sig := <-s.cfg.signals:
		if sig == unix.SIGHUP {
			s.reload()
			return nil
		}
		s.log.Printf("%s: stopping tender pid %d", signalName(sig), s.tender.pid)
		return s.move(datadir.StateStopping, "stopping on "+signalName(sig))
	case <-s.cfg.children:
		s.reap()
		return nil
	case <-ctx.Done():
		s.log.Printf("%v: stopping tender pid %d", ctx.Err(), s.tender.pid)
		return s.move(datadir.StateStopping, "stopping: "+ctx.Err().Error())
	}
}

// exited handles the end of a tender the shim did not stop: backoff or an
// ended state, as the restart policy says.
func (s *supervisor) exited(e datadir.Exit) error {
	fault.Point("shim.tender.exited")
	t := s.tender
	up := e.At.Sub(t.startedAt).Round(time.Millisecond)
	s.clear(e)
	s.reap()
	next := decide(s.spec.Restart, e)
	if next != datadir.StateBackoff {
		s.log.Printf("tender pid %d %s after %s: not restarted (policy %s)", t.pid, describeExit(&e), up, policyName(s.spec.Restart))
		return s.move(next, fmt.Sprintf("tender %s; not restarted (policy %s)", describeExit(&e), policyName(s.spec.Restart)))
	}
	if up >= resetAfter {
		s.streak = 0
	}
	s.streak++
	delay := backoffDelay(s.spec.Restart, s.streak)
	s.status.NextStart = e.At.Add(delay)
	s.log.Printf("tender pid %d %s after %s: restart %d in %s", t.pid, describeExit(&e), up, s.status.Restarts+1, delay)
	return s.move(datadir.StateBackoff, fmt.Sprintf("tender %s; restarting in %s", describeExit(&e), delay))
}

// backoff waits until the next start, or for a stop, which ends at once.
func (s *supervisor) backoff(ctx context.Context) error {
	timer := time.NewTimer(time.Until(s.status.NextStart))
	defer timer.Stop()
	select {
	case <-timer.C:
		s.status.Restarts++
		return s.move(datadir.StateStarting, "")
	case sig := <-s.cfg.signals:
		if sig == unix.SIGHUP {
			s.reload()
			return nil
		}
		s.log.Printf("%s: stopped during backoff", signalName(sig))
		return s.move(datadir.StateStopped, "stopped during backoff on "+signalName(sig))
	case <-s.cfg.children:
		s.reap()
		return nil
	case <-ctx.Done():
		s.log.Printf("%v: stopped during backoff", ctx.Err())
		return s.move(datadir.StateStopped, "stopped during backoff: "+ctx.Err().Error())
	}
}

// stopping stops the tender: SIGTERM to its process group, SIGKILL after
// stop_timeout (or at a second stop request), then a bounded wait. It does
// not heed ctx, which may be why it is stopping: the stop is bounded by
// itself.
func (s *supervisor) stopping() error {
	t := s.tender
	timeout := stopTimeout(s.spec)
	s.log.Printf("sending SIGTERM to tender group %d, SIGKILL after %s", t.pid, timeout)
	if err := t.signal(unix.SIGTERM); err != nil {
		s.log.Print(err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	killed := false
	kill := func(why string) {
		s.log.Printf("%s: sending SIGKILL to tender group %d", why, t.pid)
		if err := t.signal(unix.SIGKILL); err != nil {
			s.log.Print(err)
		}
		killed = true
		timer.Reset(s.cfg.killWait)
	}
	for {
		select {
		case e := <-t.exited:
			e.Stopped = true
			s.clear(e)
			s.reap()
			s.log.Printf("tender pid %d %s: stopped", t.pid, describeExit(&e))
			fault.Point("shim.tender.stopped")
			return s.move(datadir.StateStopped, "stopped; tender "+describeExit(&e))
		case <-timer.C:
			if killed {
				// Uninterruptible in the kernel, most likely. Record it;
				// Pdeathsig tries once more when the shim exits.
				msg := fmt.Sprintf("tender pid %d has not exited %s after SIGKILL", t.pid, s.cfg.killWait)
				s.log.Print(msg)
				s.code = ExitError
				return s.move(datadir.StateStopped, msg)
			}
			kill(fmt.Sprintf("tender pid %d still runs %s after SIGTERM", t.pid, timeout))
		case sig := <-s.cfg.signals:
			if sig == unix.SIGHUP {
				s.reload()
			} else if !killed {
				kill("second stop request (" + signalName(sig) + ")")
			}
		case <-s.cfg.children:
			s.reap()
		}
	}
}

// abort kills the tender after a bug in the state machine, so that no
// tender runs without a shim that knows its state.
func (s *supervisor) abort() {
	t := s.tender
	if t == nil {
		return
	}
	if err := t.signal(unix.SIGKILL); err != nil {
		s.log.Print(err)
	}
	select {
	case <-t.exited:
		s.tender = nil
	case <-time.After(s.cfg.killWait):
	}
}
