package shim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
)

// waitTimeout bounds every wait of a test for the shim.
const waitTimeout = 5 * time.Second

// unikernelSeq numbers the unikernels of the tests: "uk1", "uk2", ...
var unikernelSeq atomic.Int32

// newSpec returns a spec whose tender is the fake tender acting out
// directives.
func newSpec(t *testing.T, r datadir.Restart, directives ...string) *datadir.Spec {
	t.Helper()
	return &datadir.Spec{
		Name:        fmt.Sprintf("uk%d", unikernelSeq.Add(1)),
		Restart:     r,
		StopTimeout: datadir.Duration(waitTimeout),
		Command:     tenderCommand(t, directives...),
	}
}

// newDBDir returns a fresh data directory holding spec.
func newDBDir(t *testing.T, spec *datadir.Spec) datadir.Dir {
	t.Helper()
	dbdir := datadir.Dir(t.TempDir())
	if err := dbdir.Init(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dbdir.Unikernel(spec.Name), 0o700); err != nil {
		t.Fatal(err)
	}
	writeSpec(t, dbdir, spec)
	return dbdir
}

func writeSpec(t *testing.T, dbdir datadir.Dir, spec *datadir.Spec) {
	t.Helper()
	if err := dbdir.WriteJSON(dbdir.Spec(spec.Name), spec); err != nil {
		t.Fatal(err)
	}
}

// recorder keeps every status a shim writes, in order.
type recorder struct {
	mu       sync.Mutex // guards statuses and changed
	statuses []datadir.Status
	changed  chan struct{} // closed and replaced on every record
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) record(s datadir.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, s)
	close(r.changed)
	r.changed = make(chan struct{})
}

// all returns the statuses so far.
func (r *recorder) all() []datadir.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.statuses)
}

// await returns the first status that satisfies ok, waiting for it.
func (r *recorder) await(t *testing.T, what string, ok func(datadir.Status) bool) datadir.Status {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		r.mu.Lock()
		for _, s := range r.statuses {
			if ok(s) {
				r.mu.Unlock()
				return s
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no status %s after %s; states %v", what, waitTimeout, states(r.all()))
		}
	}
}

func states(list []datadir.Status) []datadir.State {
	var out []datadir.State
	for _, s := range list {
		if len(out) == 0 || out[len(out)-1] != s.State {
			out = append(out, s.State)
		}
	}
	return out
}

func inState(st datadir.State) func(datadir.Status) bool {
	return func(s datadir.Status) bool { return s.State == st }
}

// testShim is a shim run in-process, driven through its signal channel.
type testShim struct {
	dbdir   datadir.Dir
	name    string
	signals chan os.Signal
	rec     *recorder
	cancel  context.CancelFunc
	done    chan struct{} // closed when run returned code
	code    int
}

// runShim runs a shim for spec in-process, in dbdir (a new one if
// empty). The test's cleanup stops it and waits for it.
func runShim(t *testing.T, dbdir datadir.Dir, spec *datadir.Spec, adjust ...func(*config)) *testShim {
	t.Helper()
	if dbdir == "" {
		dbdir = newDBDir(t, spec)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &testShim{
		dbdir:   dbdir,
		name:    spec.Name,
		signals: make(chan os.Signal, 4),
		rec:     newRecorder(),
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	cfg := config{
		dbdir:      dbdir,
		name:       spec.Name,
		log:        testLog{t},
		signals:    s.signals,
		consoleMax: DefaultConsoleMax,
		lockWait:   lockWait,
		killWait:   killWait,
		onStatus:   s.rec.record,
	}
	for _, f := range adjust {
		f(&cfg)
	}
	go func() {
		defer close(s.done)
		s.code = run(ctx, cfg)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(2 * waitTimeout):
			t.Errorf("shim %s still running after the test", s.name)
		}
	})
	return s
}

// wait waits for the shim to return and returns its exit code.
func (s *testShim) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.done:
		return s.code
	case <-time.After(waitTimeout):
		t.Fatalf("shim still running after %s; states %v", waitTimeout, states(s.rec.all()))
		return 0
	}
}

// last returns the last status written.
func (s *testShim) last(t *testing.T) datadir.Status {
	t.Helper()
	all := s.rec.all()
	if len(all) == 0 {
		t.Fatal("no status written")
	}
	return all[len(all)-1]
}

// testLog sends the shim's log to the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// waitConsole waits until console.log of name holds a line containing s.
func waitConsole(t *testing.T, dbdir datadir.Dir, name, s string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(dbdir.Console(name))
		if strings.Contains(string(b), s) {
			return
		}
		time.Sleep(pollInterval)
	}
	t.Fatalf("console.log of %s has no %q after %s", name, s, waitTimeout)
}

// exits returns how each tender ended, in order.
func exits(list []datadir.Status) []string {
	var out []string
	var last *datadir.Exit
	for _, s := range list {
		if s.LastExit != nil && s.LastExit != last && (s.State == datadir.StateBackoff || s.State.Ended()) {
			e := describeExit(s.LastExit)
			if s.LastExit.Stopped {
				e += " (stopped)"
			}
			out = append(out, e)
			last = s.LastExit
		}
	}
	return out
}

func TestRunPolicy(t *testing.T) {
	t.Parallel()
	const (
		starting = datadir.StateStarting
		running  = datadir.StateRunning
		backoff  = datadir.StateBackoff
		exited   = datadir.StateExited
		failed   = datadir.StateFailed
	)
	tests := []struct {
		name       string
		restart    datadir.Restart
		attempts   []string // each run's directives, ";"-separated; the last repeats
		wantStates []datadir.State
		wantExits  []string
	}{
		{
			name:       "clean exit under on-failure",
			restart:    datadir.Restart{Policy: datadir.RestartOnFailure},
			attempts:   []string{"exit 0"},
			wantStates: []datadir.State{starting, running, exited},
			wantExits:  []string{"exited with code 0"},
		},
		{
			name:       "exit 1 is a configuration error",
			restart:    datadir.Restart{Policy: datadir.RestartOnFailure},
			attempts:   []string{"print Solo5: bad argument;exit 1"},
			wantStates: []datadir.State{starting, running, failed},
			wantExits:  []string{"exited with code 1"},
		},
		{
			name:       "exit 63 is a configuration error under always",
			restart:    datadir.Restart{Policy: datadir.RestartAlways},
			attempts:   []string{"exit 63"},
			wantStates: []datadir.State{starting, running, failed},
			wantExits:  []string{"exited with code 63"},
		},
		{
			name:     "listed exit 2 restarts",
			restart:  datadir.Restart{Policy: datadir.RestartOnFailure, ExitCodes: []int{2}},
			attempts: []string{"exit 2", "exit 2", "exit 0"},
			wantStates: []datadir.State{starting, running, backoff, starting, running, backoff,
				starting, running, exited},
			wantExits: []string{"exited with code 2", "exited with code 2", "exited with code 0"},
		},
		{
			name:       "unlisted exit 3 fails",
			restart:    datadir.Restart{Policy: datadir.RestartOnFailure, ExitCodes: []int{2}},
			attempts:   []string{"exit 3"},
			wantStates: []datadir.State{starting, running, failed},
			wantExits:  []string{"exited with code 3"},
		},
		{
			name:       "listed exit 1 restarts",
			restart:    datadir.Restart{Policy: datadir.RestartOnFailure, ExitCodes: []int{1}},
			attempts:   []string{"exit 1", "exit 0"},
			wantStates: []datadir.State{starting, running, backoff, starting, running, exited},
			wantExits:  []string{"exited with code 1", "exited with code 0"},
		},
		{
			name:       "SIGSEGV under on-failure restarts",
			restart:    datadir.Restart{Policy: datadir.RestartOnFailure},
			attempts:   []string{"print fault;die SIGSEGV", "exit 0"},
			wantStates: []datadir.State{starting, running, backoff, starting, running, exited},
			wantExits:  []string{"was killed by SIGSEGV", "exited with code 0"},
		},
		{
			name:       "always restarts a clean exit",
			restart:    datadir.Restart{Policy: datadir.RestartAlways},
			attempts:   []string{"exit 0", "exit 0", "exit 1"},
			wantStates: []datadir.State{starting, running, backoff, starting, running, backoff, starting, running, failed},
			wantExits:  []string{"exited with code 0", "exited with code 0", "exited with code 1"},
		},
		{
			name:       "never after a clean exit",
			restart:    datadir.Restart{Policy: datadir.RestartNever},
			attempts:   []string{"exit 0"},
			wantStates: []datadir.State{starting, running, exited},
			wantExits:  []string{"exited with code 0"},
		},
		{
			name:       "never after a failure",
			restart:    datadir.Restart{Policy: datadir.RestartNever},
			attempts:   []string{"exit 2"},
			wantStates: []datadir.State{starting, running, failed},
			wantExits:  []string{"exited with code 2"},
		},
		{
			name:       "never after SIGSEGV",
			restart:    datadir.Restart{Policy: datadir.RestartNever},
			attempts:   []string{"die SIGSEGV"},
			wantStates: []datadir.State{starting, running, failed},
			wantExits:  []string{"was killed by SIGSEGV"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.restart.Backoff = datadir.Duration(time.Millisecond)
			tt.restart.MaxBackoff = datadir.Duration(4 * time.Millisecond)
			count := filepath.Join(t.TempDir(), "attempts")
			spec := newSpec(t, tt.restart, "attempt "+count+" "+strings.Join(tt.attempts, "|"))
			s := runShim(t, "", spec)
			if code := s.wait(t); code != ExitDone {
				t.Errorf("run = %d, want %d (ExitDone)", code, ExitDone)
			}
			all := s.rec.all()
			if diff := cmp.Diff(tt.wantStates, states(all)); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantExits, exits(all)); diff != "" {
				t.Errorf("exits (-want +got):\n%s", diff)
			}
			last := s.last(t)
			if got, want := last.Restarts, len(tt.wantExits)-1; got != want {
				t.Errorf("restarts = %d, want %d", got, want)
			}
			if last.TenderPID != 0 || !last.StartedAt.IsZero() {
				t.Errorf("ended status names tender pid %d started at %s, want none", last.TenderPID, last.StartedAt)
			}
			onDisk, err := ReadStatus(s.dbdir, s.name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&last, onDisk); diff != "" {
				t.Errorf("status.json is not the last status written (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunTenderNotFound(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartAlways})
	spec.Command = []string{filepath.Join(t.TempDir(), "solo5-hvt")}
	s := runShim(t, "", spec)
	if code := s.wait(t); code != ExitDone {
		t.Errorf("run = %d, want %d (ExitDone)", code, ExitDone)
	}
	if diff := cmp.Diff([]datadir.State{datadir.StateStarting, datadir.StateFailed}, states(s.rec.all())); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if got := s.last(t).Message; !strings.Contains(got, "start tender") || !strings.Contains(got, "no such file") {
		t.Errorf("message = %q, want start tender: ... no such file", got)
	}
}

func TestRunBackoffGrows(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	spec := newSpec(t, datadir.Restart{
		Policy:     datadir.RestartAlways,
		Backoff:    datadir.Duration(2 * ms),
		MaxBackoff: datadir.Duration(16 * ms),
	}, "exit 2")
	s := runShim(t, "", spec)
	want := []time.Duration{2 * ms, 4 * ms, 8 * ms, 16 * ms, 16 * ms, 16 * ms}
	s.rec.await(t, fmt.Sprintf("in backoff %d times", len(want)), func(st datadir.Status) bool {
		return st.State == datadir.StateBackoff && st.Restarts == len(want)-1
	})
	s.signals <- unix.SIGTERM
	if code := s.wait(t); code != ExitDone {
		t.Errorf("run = %d, want %d (ExitDone)", code, ExitDone)
	}
	if got := s.last(t).State; got != datadir.StateStopped {
		t.Errorf("state after SIGTERM = %q, want %q", got, datadir.StateStopped)
	}
	var backoffs []datadir.Status
	for _, st := range s.rec.all() {
		if st.State == datadir.StateBackoff {
			backoffs = append(backoffs, st)
		}
	}
	for i, w := range want {
		b := backoffs[i]
		if got := b.NextStart.Sub(b.LastExit.At); got != w {
			t.Errorf("backoff %d: next start %s after the exit, want %s", i+1, got, w)
		}
		if b.Restarts != i {
			t.Errorf("backoff %d: restarts = %d, want %d", i+1, b.Restarts, i)
		}
	}
}

func TestRunStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		directives  []string
		stopTimeout time.Duration
		stop        []os.Signal // nil: cancel the context
		wantExit    string
		wantMin     time.Duration // the stop takes at least this long
	}{
		{
			name:        "hvt exits 1 on SIGTERM",
			directives:  []string{"hvt", "print ready", "wait"},
			stopTimeout: waitTimeout,
			stop:        []os.Signal{unix.SIGTERM},
			wantExit:    "exited with code 1 (stopped)",
		},
		{
			name:        "spt is killed by SIGTERM",
			directives:  []string{"print ready", "wait"},
			stopTimeout: waitTimeout,
			stop:        []os.Signal{unix.SIGINT},
			wantExit:    "was killed by SIGTERM (stopped)",
		},
		{
			name:        "SIGTERM ignored: SIGKILL after stop_timeout",
			directives:  []string{"ignore-term", "print ready", "wait"},
			stopTimeout: 200 * time.Millisecond,
			stop:        []os.Signal{unix.SIGTERM},
			wantExit:    "was killed by SIGKILL (stopped)",
			wantMin:     200 * time.Millisecond,
		},
		{
			name:        "second stop request kills at once",
			directives:  []string{"ignore-term", "print ready", "wait"},
			stopTimeout: time.Hour,
			stop:        []os.Signal{unix.SIGTERM, unix.SIGINT},
			wantExit:    "was killed by SIGKILL (stopped)",
		},
		{
			name:        "context done",
			directives:  []string{"hvt", "print ready", "wait"},
			stopTimeout: waitTimeout,
			wantExit:    "exited with code 1 (stopped)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := newSpec(t, datadir.Restart{Policy: datadir.RestartAlways}, tt.directives...)
			spec.StopTimeout = datadir.Duration(tt.stopTimeout)
			s := runShim(t, "", spec)
			running := s.rec.await(t, "running", inState(datadir.StateRunning))
			waitConsole(t, s.dbdir, s.name, "ready") // its handlers are in place
			start := time.Now()
			if tt.stop == nil {
				s.cancel()
			}
			for _, sig := range tt.stop {
				s.signals <- sig
			}
			if code := s.wait(t); code != ExitDone {
				t.Errorf("run = %d, want %d (ExitDone)", code, ExitDone)
			}
			took := time.Since(start)
			all := s.rec.all()
			want := []datadir.State{datadir.StateStarting, datadir.StateRunning, datadir.StateStopping, datadir.StateStopped}
			if diff := cmp.Diff(want, states(all)); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.wantExit}, exits(all)); diff != "" {
				t.Errorf("exits (-want +got):\n%s", diff)
			}
			if took < tt.wantMin || took > tt.wantMin+2*time.Second {
				t.Errorf("stop took %s, want %s or a little more", took, tt.wantMin)
			}
			if processAlive(running.TenderPID, running.TenderStart) {
				t.Errorf("tender pid %d still alive", running.TenderPID)
			}
		})
	}
}

func TestRunStopDuringBackoff(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{
		Policy:     datadir.RestartAlways,
		Backoff:    datadir.Duration(time.Hour),
		MaxBackoff: datadir.Duration(time.Hour),
	}, "exit 2")
	s := runShim(t, "", spec)
	s.rec.await(t, "in backoff", inState(datadir.StateBackoff))
	start := time.Now()
	s.signals <- unix.SIGTERM
	if code := s.wait(t); code != ExitDone {
		t.Errorf("run = %d, want %d (ExitDone)", code, ExitDone)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("stop during backoff took %s, want it at once", took)
	}
	want := []datadir.State{datadir.StateStarting, datadir.StateRunning, datadir.StateBackoff, datadir.StateStopped}
	if diff := cmp.Diff(want, states(s.rec.all())); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if got := s.last(t); got.Restarts != 0 || !got.NextStart.IsZero() {
		t.Errorf("stopped: restarts %d, next start %s; want 0 and none", got.Restarts, got.NextStart)
	}
}

func TestRunReload(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartOnFailure}, "usr1-exit 2")
	s := runShim(t, "", spec)
	running := s.rec.await(t, "running", inState(datadir.StateRunning))
	waitConsole(t, s.dbdir, s.name, "waiting for SIGUSR1")

	// Under never, exit 2 fails instead of restarting. The new command is
	// ignored until a replace.
	reloaded := *spec
	reloaded.Restart = datadir.Restart{Policy: datadir.RestartNever}
	reloaded.StopTimeout = datadir.Duration(3 * time.Second)
	reloaded.Command = tenderCommand(t, "exit 0")
	writeSpec(t, s.dbdir, &reloaded)
	s.signals <- unix.SIGHUP
	digest := datadir.Digest(&reloaded)
	got := s.rec.await(t, "with the reloaded spec digest", func(st datadir.Status) bool { return st.SpecDigest == digest })
	if got.State != datadir.StateRunning || got.TenderPID != running.TenderPID || got.TenderStart != running.TenderStart {
		t.Errorf("after reload: state %q, tender pid %d; want %q, pid %d", got.State, got.TenderPID, datadir.StateRunning, running.TenderPID)
	}

	if err := unix.Kill(running.TenderPID, unix.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != ExitDone {
		t.Errorf("run = %d, want %d (ExitDone)", code, ExitDone)
	}
	want := []datadir.State{datadir.StateStarting, datadir.StateRunning, datadir.StateFailed}
	if diff := cmp.Diff(want, states(s.rec.all())); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"exited with code 2"}, exits(s.rec.all())); diff != "" {
		t.Errorf("exits (-want +got):\n%s", diff)
	}
}

func TestRunLocked(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartOnFailure}, "wait")
	first := runShim(t, "", spec)
	running := first.rec.await(t, "running", inState(datadir.StateRunning))

	second := runShim(t, first.dbdir, spec, func(c *config) { c.lockWait = 50 * time.Millisecond })
	if code := second.wait(t); code != ExitLocked {
		t.Errorf("second shim: run = %d, want %d (ExitLocked)", code, ExitLocked)
	}
	if n := len(second.rec.all()); n != 0 {
		t.Errorf("second shim wrote %d statuses, want none", n)
	}
	st, err := ReadStatus(first.dbdir, first.name)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != datadir.StateRunning || st.TenderPID != running.TenderPID {
		t.Errorf("status after the second shim: %q, tender pid %d; want %q, %d", st.State, st.TenderPID, datadir.StateRunning, running.TenderPID)
	}
}

func TestRunPinsCPUs(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartOnFailure}, "wait")
	spec.CPUs = []int{0}
	s := runShim(t, "", spec)
	running := s.rec.await(t, "running", inState(datadir.StateRunning))
	if got := cpusAllowed(t, fmt.Sprintf("/proc/%d/status", running.TenderPID)); got != "0" {
		t.Errorf("tender Cpus_allowed_list = %q, want %q", got, "0")
	}
	if got := cpusAllowed(t, "/proc/self/status"); got == "0" && allCPUs(t) != "0" {
		t.Errorf("shim's main thread pinned too: Cpus_allowed_list = %q", got)
	}
}

// cpusAllowed returns Cpus_allowed_list of a /proc status file.
func cpusAllowed(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%s: no Cpus_allowed_list", path)
	return ""
}

// allCPUs returns the online CPUs as a list: "0-3".
func allCPUs(t *testing.T) string {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Skip("no /sys/devices/system/cpu/online")
	}
	return strings.TrimSpace(string(b))
}

func TestRunConsole(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartNever},
		"print Solo5: Bindings version v0.9.0", "stderr on stderr", "printn partial", "exit 0")
	s := runShim(t, "", spec)
	s.wait(t)
	want := []string{"Solo5: Bindings version v0.9.0", "on stderr", "partial"}
	if diff := cmp.Diff(want, readLines(t, s.dbdir.Console(s.name))); diff != "" {
		t.Errorf("console.log (-want +got):\n%s", diff)
	}
}

func TestRunConsoleRotation(t *testing.T) {
	t.Parallel()
	const lineSize = int64(len(stampLayout) + len(" line 000\n"))
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartNever}, "spam 10", "exit 0")
	s := runShim(t, "", spec, func(c *config) { c.consoleMax = 3 * lineSize })
	s.wait(t)
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprintf("line %03d", i))
	}
	if diff := cmp.Diff(want[9:], readLines(t, s.dbdir.Console(s.name))); diff != "" {
		t.Errorf("console.log (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[6:9], readLines(t, s.dbdir.ConsoleRotated(s.name))); diff != "" {
		t.Errorf("console.log.1 (-want +got):\n%s", diff)
	}
}
