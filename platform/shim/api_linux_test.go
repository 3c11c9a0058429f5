package shim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
)

// roostCommand runs the test binary as roost-shim (TestMain runs its
// shim).
func roostCommand(t *testing.T) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{exe, "shim"}
}

// startShim starts a real shim process for spec with Start. The test's
// cleanup stops it.
func startShim(t *testing.T, dbdir datadir.Dir, spec *datadir.Spec) (datadir.Dir, int) {
	t.Helper()
	if dbdir == "" {
		dbdir = newDBDir(t, spec)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	pid, err := Start(ctx, roostCommand(t), dbdir, spec.Name)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := Stop(ctx, dbdir, spec.Name, time.Second); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if b, err := os.ReadFile(dbdir.ShimLog(spec.Name)); err == nil && t.Failed() {
			t.Logf("shim.log:\n%s", b)
		}
	})
	return dbdir, pid
}

func waitRunning(t *testing.T, dbdir datadir.Dir, name string, window time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	return WaitRunning(ctx, dbdir, name, window)
}

func readStatus(t *testing.T, dbdir datadir.Dir, name string) *datadir.Status {
	t.Helper()
	st, err := ReadStatus(dbdir, name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitGone waits until the process pid that started at start is gone
// (a zombie counts as gone).
func waitGone(t *testing.T, what string, pid int, start uint64) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for processAlive(pid, start) {
		if time.Now().After(deadline) {
			t.Fatalf("%s pid %d still alive after %s", what, pid, waitTimeout)
		}
		time.Sleep(pollInterval)
	}
}

func TestStartWaitRunningStop(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartOnFailure}, "hvt", "print Solo5: ready", "wait")
	dbdir, pid := startShim(t, "", spec)

	alive, alivePID, err := Alive(dbdir, spec.Name)
	if err != nil || !alive || alivePID != pid {
		t.Errorf("Alive = %v, %d, %v; want true, %d, nil", alive, alivePID, err, pid)
	}
	const window = 150 * time.Millisecond
	if err := waitRunning(t, dbdir, spec.Name, window); err != nil {
		t.Fatalf("WaitRunning: %v", err)
	}
	st := readStatus(t, dbdir, spec.Name)
	if up := time.Since(st.StartedAt); up < window || up > window+time.Second {
		t.Errorf("WaitRunning returned %s after the tender's start, want %s or a little more", up, window)
	}
	if st.State != datadir.StateRunning || st.ShimPID != pid || st.BootID == "" || st.SpecDigest != datadir.Digest(spec) {
		t.Errorf("status = %+v; want running, shim pid %d, a boot id and the spec's digest", st, pid)
	}
	if start, err := procStartTime(st.TenderPID); err != nil || start != st.TenderStart {
		t.Errorf("tender start time = %d, %v; status says %d", start, err, st.TenderStart)
	}

	ctx := context.Background()
	if _, err := Start(ctx, roostCommand(t), dbdir, spec.Name); !errors.Is(err, ErrRunning) {
		t.Errorf("second Start = %v, want ErrRunning", err)
	}

	reloaded := *spec
	reloaded.StopTimeout = datadir.Duration(2 * time.Second)
	writeSpec(t, dbdir, &reloaded)
	if err := Reload(dbdir, spec.Name); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	deadline := time.Now().Add(waitTimeout)
	for readStatus(t, dbdir, spec.Name).SpecDigest != datadir.Digest(&reloaded) {
		if time.Now().After(deadline) {
			t.Fatal("status.json has not the reloaded spec's digest")
		}
		time.Sleep(pollInterval)
	}
	if got := readStatus(t, dbdir, spec.Name); got.TenderPID != st.TenderPID || got.State != datadir.StateRunning {
		t.Errorf("after Reload: %q, tender pid %d; want running, pid %d", got.State, got.TenderPID, st.TenderPID)
	}

	if err := Stop(ctx, dbdir, spec.Name, time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if alive, _, err := Alive(dbdir, spec.Name); alive || err != nil {
		t.Errorf("Alive after Stop = %v, %v; want false, nil", alive, err)
	}
	got := readStatus(t, dbdir, spec.Name)
	if got.State != datadir.StateStopped || got.LastExit == nil || !got.LastExit.Stopped || got.LastExit.Code == nil || *got.LastExit.Code != 1 {
		t.Errorf("status after Stop: %q, last exit %+v; want stopped, code 1, stopped by the shim", got.State, got.LastExit)
	}
	if processAlive(st.TenderPID, st.TenderStart) {
		t.Errorf("tender pid %d alive after Stop", st.TenderPID)
	}
	if !strings.Contains(string(must(os.ReadFile(dbdir.Console(spec.Name)))), "Exiting on signal 15") {
		t.Errorf("console.log lacks the tender's last words")
	}

	// Stopped is stopped: again is fine; a reload has nobody to tell.
	if err := Stop(ctx, dbdir, spec.Name, time.Second); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
	if err := Reload(dbdir, spec.Name); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Reload after Stop = %v, want ErrNotRunning", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestWaitRunningReportsEnd(t *testing.T) {
	t.Parallel()
	slow := datadir.Restart{Policy: datadir.RestartOnFailure, Backoff: datadir.Duration(time.Hour), MaxBackoff: datadir.Duration(time.Hour)}
	tests := []struct {
		name      string
		restart   datadir.Restart
		command   []string // nil: directives
		directive []string
		wantState datadir.State
		wantErr   string // a regexp
	}{
		{
			name:      "configuration error",
			restart:   slow,
			directive: []string{"print Solo5: bindings: unknown argument --foo", "exit 1"},
			wantState: datadir.StateFailed,
			wantErr:   `^tender exited with code 1; last lines of console:\n    Solo5: bindings: unknown argument --foo$`,
		},
		{
			name:      "guest fault restarting",
			restart:   slow,
			directive: []string{"print one", "print two", "die SIGSEGV"},
			wantState: datadir.StateBackoff,
			wantErr:   `^tender was killed by SIGSEGV \(restarting\); last lines of console:\n    one\n    two$`,
		},
		{
			name:      "clean exit",
			restart:   slow,
			directive: []string{"exit 0"},
			wantState: datadir.StateExited,
			wantErr:   `^tender exited with code 0$`,
		},
		{
			name:      "no tender",
			restart:   slow,
			command:   []string{"/nonexistent/solo5-hvt", "--mem=32"},
			wantState: datadir.StateFailed,
			wantErr:   `^start tender: fork/exec /nonexistent/solo5-hvt: no such file or directory$`,
		},
	}
	// Each case twice: told by the files (WaitRunning) and by the shim's
	// notifications (Started.Verify); both must say the same.
	type waiter func(t *testing.T, spec *datadir.Spec, window time.Duration) error
	files := func(t *testing.T, spec *datadir.Spec, window time.Duration) error {
		dbdir, _ := startShim(t, "", spec)
		return waitRunning(t, dbdir, spec.Name, window)
	}
	notified := func(t *testing.T, spec *datadir.Spec, window time.Duration) error {
		return verifyShim(t, spawnShim(t, "", spec), window)
	}
	for _, how := range []struct {
		name string
		wait waiter
	}{{"files", files}, {"notified", notified}} {
		for _, tt := range tests {
			t.Run(how.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				spec := newSpec(t, tt.restart, tt.directive...)
				if tt.command != nil {
					spec.Command = tt.command
				}
				// Long enough for a slow start (-race) to exit first.
				err := how.wait(t, spec, waitTimeout-time.Second)
				checkEnd(t, err, tt.wantState, tt.wantErr)
			})
		}
	}
}

// checkEnd checks that err is an *EndError in state wantState whose text
// matches wantErr.
func checkEnd(t *testing.T, err error, wantState datadir.State, wantErr string) {
	t.Helper()
	var end *EndError
	if !errors.As(err, &end) || !errors.Is(err, ErrEnded) {
		t.Fatalf("WaitRunning = %v, want an *EndError", err)
	}
	if end.State != wantState {
		t.Errorf("WaitRunning: state %q, want %q", end.State, wantState)
	}
	if !regexp.MustCompile(wantErr).MatchString(err.Error()) {
		t.Errorf("WaitRunning = %q, want it to match %q", err, wantErr)
	}
}

// spawnShim spawns a real shim for spec and waits until it is ready; the
// test's cleanup stops it.
func spawnShim(t *testing.T, dbdir datadir.Dir, spec *datadir.Spec) *Started {
	t.Helper()
	if dbdir == "" {
		dbdir = newDBDir(t, spec)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	st, err := Spawn(ctx, roostCommand(t), dbdir, spec.Name)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	t.Cleanup(func() {
		st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := Stop(ctx, dbdir, spec.Name, time.Second); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if b, err := os.ReadFile(dbdir.ShimLog(spec.Name)); err == nil && t.Failed() {
			t.Logf("shim.log:\n%s", b)
		}
	})
	if _, err := st.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return st
}

func verifyShim(t *testing.T, st *Started, window time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	return st.Verify(ctx, window)
}

// TestVerifyRunning checks that Verify returns once the tender has run for
// the window, and that a tender that keeps running does not end it.
func TestVerifyRunning(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{}, "wait")
	st := spawnShim(t, "", spec)
	start := time.Now()
	if err := verifyShim(t, st, 200*time.Millisecond); err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Verify took %s for a 200ms window", d)
	}
}

// TestVerifyShimKilled checks that a shim killed during the window is
// an end, told at once by the closed notifications.
func TestVerifyShimKilled(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{}, "wait")
	st := spawnShim(t, "", spec)
	if err := unix.Kill(st.cmd.Process.Pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := verifyShim(t, st, waitTimeout-time.Second)
	var end *EndError
	if !errors.As(err, &end) || !strings.Contains(err.Error(), "exited before its tender was running") {
		t.Errorf("Verify after SIGKILL of the shim = %v, want an *EndError saying the shim exited", err)
	}
}

// TestWaitRunningStaleStatus checks that a status.json left by an earlier
// shim is not taken for the new one's.
func TestWaitRunningStaleStatus(t *testing.T) {
	t.Parallel()
	failing := newSpec(t, datadir.Restart{Policy: datadir.RestartNever}, "exit 1")
	dbdir, _ := startShim(t, "", failing)
	if err := waitRunning(t, dbdir, failing.Name, time.Second); !errors.Is(err, ErrEnded) {
		t.Fatalf("first WaitRunning = %v, want ErrEnded", err)
	}
	fixed := *failing
	fixed.Command = tenderCommand(t, "sleep 100ms", "wait") // slow to start: the old status stays a while
	writeSpec(t, dbdir, &fixed)
	startShim(t, dbdir, &fixed)
	if err := waitRunning(t, dbdir, fixed.Name, 50*time.Millisecond); err != nil {
		t.Errorf("WaitRunning after a fix = %v, want nil", err)
	}
}

func TestWaitRunningNoShim(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{})
	dbdir := newDBDir(t, spec)
	if err := waitRunning(t, dbdir, spec.Name, time.Second); !errors.Is(err, ErrNotRunning) {
		t.Errorf("WaitRunning = %v, want ErrNotRunning", err)
	}
	if err := Stop(context.Background(), dbdir, spec.Name, time.Second); err != nil {
		t.Errorf("Stop = %v, want nil", err)
	}
	if alive, pid, err := Alive(dbdir, spec.Name); alive || pid != 0 || err != nil {
		t.Errorf("Alive = %v, %d, %v; want false, 0, nil", alive, pid, err)
	}
}

func TestStartNoSpec(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{})
	dbdir := newDBDir(t, spec)
	if err := os.Remove(dbdir.Spec(spec.Name)); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), roostCommand(t), dbdir, spec.Name)
	want := regexp.MustCompile(`^start shim of uk\d+: shim pid \d+ exited with code 1; last lines of shim.log:\n.*read spec: open .*spec.json: no such file or directory$`)
	if err == nil || !want.MatchString(err.Error()) {
		t.Errorf("Start = %v, want it to match %q", err, want)
	}
}

func TestShimKilledKillsTender(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartAlways}, "ignore-term", "wait")
	dbdir, pid := startShim(t, "", spec)
	if err := waitRunning(t, dbdir, spec.Name, 0); err != nil {
		t.Fatalf("WaitRunning: %v", err)
	}
	st := readStatus(t, dbdir, spec.Name)
	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "tender", st.TenderPID, st.TenderStart)
	deadline := time.Now().Add(waitTimeout)
	for {
		alive, _, err := Alive(dbdir, spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !alive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("shim.lock still held after SIGKILL")
		}
		time.Sleep(pollInterval)
	}
}

func TestStopKillsStuckShim(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartAlways}, "ignore-term", "wait")
	spec.StopTimeout = datadir.Duration(100 * time.Millisecond)
	dbdir, pid := startShim(t, "", spec)
	if err := waitRunning(t, dbdir, spec.Name, 0); err != nil {
		t.Fatalf("WaitRunning: %v", err)
	}
	st := readStatus(t, dbdir, spec.Name)
	if err := unix.Kill(pid, unix.SIGSTOP); err != nil { // a shim that does not answer
		t.Fatal(err)
	}
	start := time.Now()
	const timeout = 300 * time.Millisecond
	if err := Stop(context.Background(), dbdir, spec.Name, timeout); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(start); took < timeout || took > timeout+2*time.Second {
		t.Errorf("Stop took %s, want %s or a little more", took, timeout)
	}
	waitGone(t, "tender", st.TenderPID, st.TenderStart)
	got := readStatus(t, dbdir, spec.Name)
	if got.State != datadir.StateStopped || !strings.Contains(got.Message, "SIGKILLed") || got.TenderPID != 0 {
		t.Errorf("status after Stop: %+v; want stopped, SIGKILLed, no tender", got)
	}
}

func TestShimReapsOrphans(t *testing.T) {
	t.Parallel()
	count := filepath.Join(t.TempDir(), "attempts")
	spec := newSpec(t, datadir.Restart{Policy: datadir.RestartOnFailure, Backoff: datadir.Duration(time.Millisecond)},
		"attempt "+count+" spawn;exit 2|wait")
	dbdir, _ := startShim(t, "", spec)
	deadline := time.Now().Add(waitTimeout)
	for {
		if st, err := ReadStatus(dbdir, spec.Name); err == nil && st.State == datadir.StateRunning && st.Restarts == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("tender not restarted")
		}
		time.Sleep(pollInterval)
	}
	m := regexp.MustCompile(`grandchild (\d+)`).FindSubmatch(must(os.ReadFile(dbdir.Console(spec.Name))))
	if m == nil {
		t.Fatal("console.log names no grandchild")
	}
	grandchild, _ := strconv.Atoi(string(m[1]))
	// Killed with its tender's group, adopted by the shim as subreaper and
	// reaped by it: not even a zombie is left.
	for {
		if _, err := os.Stat("/proc/" + strconv.Itoa(grandchild)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild pid %d not reaped", grandchild)
		}
		time.Sleep(pollInterval)
	}
}

// TestStopSignalsOnlyTheShim checks that a shim.lock held by a process
// that is no shim, naming the pid of another process, gets neither of them
// signalled: the pid in the file is only a claim (hardening finding 5).
func TestStopSignalsOnlyTheShim(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock(1) (util-linux) is not installed: cannot hold a lock from another process")
	}
	spec := newSpec(t, datadir.Restart{})
	dbdir := newDBDir(t, spec)
	bystander := exec.Command("sleep", "1000")
	if err := bystander.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bystander.Process.Kill(); bystander.Wait() })
	holder := exec.Command("flock", "-x", dbdir.ShimLock(spec.Name), "sleep", "1002")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	starts := map[int]uint64{}
	for _, p := range []*exec.Cmd{bystander, holder} {
		start, err := procStartTime(p.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		starts[p.Process.Pid] = start
	}
	for _, claim := range []struct {
		name string
		pid  int
	}{{"a bystander's pid", bystander.Process.Pid}, {"the holder's own pid", holder.Process.Pid}} {
		// Wait until flock holds the lock, then forge the claim.
		deadline := time.Now().Add(waitTimeout)
		for {
			if held, _, _ := probeLock(dbdir, dbdir.ShimLock(spec.Name)); held {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("flock(1) never took shim.lock")
			}
			time.Sleep(pollInterval)
		}
		if err := os.WriteFile(dbdir.ShimLock(spec.Name), []byte(strconv.Itoa(claim.pid)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		err := Stop(ctx, dbdir, spec.Name, 100*time.Millisecond)
		cancel()
		if !errors.Is(err, ErrNotShim) {
			t.Errorf("Stop with %s in shim.lock = %v, want ErrNotShim", claim.name, err)
		}
		if err := Reload(dbdir, spec.Name); !errors.Is(err, ErrNotShim) {
			t.Errorf("Reload with %s in shim.lock = %v, want ErrNotShim", claim.name, err)
		}
	}
	time.Sleep(50 * time.Millisecond) // time for a signal to take effect
	for _, p := range []*exec.Cmd{bystander, holder} {
		if !processAlive(p.Process.Pid, starts[p.Process.Pid]) {
			t.Errorf("pid %d (%s) was signalled: it is gone", p.Process.Pid, p.Path)
		}
	}
}

// TestShimKeepsItsDirectory moves a running shim's directory away and puts
// a symbolic link to another directory in its place: the shim goes on
// writing in its own directory, never through the link (hardening
// finding 3).
func TestShimKeepsItsDirectory(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, datadir.Restart{}, "wait")
	dbdir, pid := startShim(t, "", spec)
	if err := waitRunning(t, dbdir, spec.Name, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.Mkdir(victim, 0o700); err != nil {
		t.Fatal(err)
	}
	moved := dbdir.Unikernel(".moved")
	if err := os.Rename(dbdir.Unikernel(spec.Name), moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, dbdir.Unikernel(spec.Name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Put things back for the cleanup's Stop.
		os.Remove(dbdir.Unikernel(spec.Name))
		os.Rename(moved, dbdir.Unikernel(spec.Name))
	})
	before, err := os.ReadFile(filepath.Join(moved, "status.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A reload writes status.json: SIGHUP by the pid this test started.
	if err := unix.Kill(pid, unix.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		after, err := os.ReadFile(filepath.Join(moved, "status.json"))
		if err == nil && !bytes.Equal(after, before) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shim wrote no status.json in its moved directory after SIGHUP")
		}
		time.Sleep(pollInterval)
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Errorf("the shim wrote through the link into %s: %v", victim, ents)
	}
}
