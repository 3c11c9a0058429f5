//go:build integration && linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roostd/roost/platform/datadir"

	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/internal/netnstest"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/solo5"
)

// liveHost is a throwaway host for one test: a network namespace, a data
// directory, a configuration directory and a tenders directory holding the
// simulated tender under Solo5's names. Commands run the roost under test
// (this test binary, dispatched as "roost" by testscript) inside the
// namespace.
type liveHost struct {
	t       testing.TB
	ns      *netnstest.NS
	dir     string // configuration
	dbdir   datadir.Dir
	tenders string
	env     []string
}

var (
	simOnce sync.Once
	simDir  string
	simErr  error
)

// simTenders builds roost-simtender and roost-shim once and returns a
// directory holding them, the simulator as solo5-hvt and solo5-spt.
func simTenders(tb testing.TB) string {
	tb.Helper()
	simOnce.Do(func() {
		simDir, simErr = os.MkdirTemp("", "roost-simtender-")
		if simErr != nil {
			return
		}
		// Tenders run under users of their own (issue 13), as they
		// would from /usr/lib/solo5.
		if simErr = os.Chmod(simDir, 0o755); simErr != nil {
			return
		}
		bin := filepath.Join(simDir, "roost-simtender")
		out, err := exec.Command("go", "build", "-o", bin, "../../internal/cmd/roost-simtender").CombinedOutput()
		if err != nil {
			simErr = errors.New("build roost-simtender: " + err.Error() + "\n" + string(out))
			return
		}
		// roost finds roost-shim on PATH: the test binary standing in for
		// roost has no roost-shim beside it.
		out, err = exec.Command("go", "build", "-o", filepath.Join(simDir, "roost-shim"), "../roost-shim").CombinedOutput()
		if err != nil {
			simErr = errors.New("build roost-shim: " + err.Error() + "\n" + string(out))
			return
		}
		for _, name := range []string{"solo5-hvt", "solo5-spt"} {
			if simErr = os.Symlink(bin, filepath.Join(simDir, name)); simErr != nil {
				return
			}
		}
	})
	if simErr != nil {
		tb.Fatal(simErr)
	}
	return simDir
}

func newLiveHost(t testing.TB) *liveHost {
	t.Helper()
	ns := netnstest.New(t)
	h := &liveHost{t: t, ns: ns, dir: t.TempDir(), dbdir: datadir.Dir(filepath.Join(t.TempDir(), "db")), tenders: simTenders(t)}
	h.env = append(os.Environ(),
		"ROOST_DBDIR="+string(h.dbdir),
		"PATH="+os.Getenv("PATH")+":"+h.tenders,
		"NO_COLOR=1",
	)
	// Runs before the namespace goes (cleanups run last first).
	t.Cleanup(h.stopAll)
	return h
}

// stopAll stops every shim the test started, by the pids in its status
// files (and only if their shim.lock is held), then their tenders.
func (h *liveHost) stopAll() {
	ents, _ := os.ReadDir(h.dbdir.UnikernelsDir())
	for _, e := range ents {
		var st datadir.Status
		if h.dbdir.ReadJSON(h.dbdir.Status(e.Name()), &st) != nil {
			continue
		}
		if alive(st.ShimPID) {
			syscall.Kill(st.ShimPID, syscall.SIGKILL)
		}
		if alive(st.TenderPID) {
			syscall.Kill(-st.TenderPID, syscall.SIGKILL)
		}
	}
	time.Sleep(50 * time.Millisecond)
}

func alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil && !isZombie(pid)
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}

// write writes a configuration file.
func (h *liveHost) write(name, src string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(src), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *liveHost) remove(name string) {
	h.t.Helper()
	if err := os.Remove(filepath.Join(h.dir, name)); err != nil {
		h.t.Fatal(err)
	}
}

// image writes a synthetic image into the configuration directory.
func (h *liveHost) image(name string, spec solo5test.Spec) {
	h.t.Helper()
	if err := solo5test.Write(filepath.Join(h.dir, name), spec); err != nil {
		h.t.Fatal(err)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// roost runs roost with args in the namespace, with extra environment.
func (h *liveHost) roostEnv(env []string, args ...string) result {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := h.ns.Command(ctx, "roost", args...)
	cmd.Env = append(append([]string(nil), h.env...), env...)
	cmd.Dir = h.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		h.t.Fatalf("run roost %v: %v", args, err)
	}
	h.t.Logf("$ roost %s (exit %d)\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}

func (h *liveHost) roost(args ...string) result {
	h.t.Helper()
	return h.roostEnv(nil, args...)
}

// must runs roost and fails the test unless it exits 0.
func (h *liveHost) must(args ...string) result {
	h.t.Helper()
	r := h.roost(args...)
	if r.code != 0 {
		h.t.Fatalf("roost %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func (h *liveHost) status(name string) datadir.Status {
	h.t.Helper()
	var st datadir.Status
	if err := h.dbdir.ReadJSON(h.dbdir.Status(name), &st); err != nil {
		h.t.Fatalf("read status of %s: %v", name, err)
	}
	return st
}

// waitStatus waits until cond holds for name's status.
func (h *liveHost) waitStatus(name string, what string, cond func(datadir.Status) bool) datadir.Status {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var st datadir.Status
	for time.Now().Before(deadline) {
		if h.dbdir.ReadJSON(h.dbdir.Status(name), &st) == nil && cond(st) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("%s: %s did not happen; last status %+v", name, what, st)
	return st
}

// ip runs iproute2 in the namespace (test setup and checks only; roost
// itself never runs ip).
func (h *liveHost) ip(args ...string) (string, error) {
	out, err := h.ns.Command(context.Background(), "ip", args...).CombinedOutput()
	return string(out), err
}

func (h *liveHost) ping(addr string) error {
	out, err := h.ns.Command(context.Background(), "ping", "-c", "1", "-W", "2", addr).CombinedOutput()
	if err != nil {
		return errors.New(string(out))
	}
	return nil
}

// detailedPlan runs plan -detailed-exitcode and returns its exit code.
func (h *liveHost) detailedPlan(args ...string) (int, result) {
	h.t.Helper()
	r := h.roost(append([]string{"plan", "-detailed-exitcode"}, args...)...)
	if r.code == 1 {
		h.t.Fatalf("plan failed:\n%s%s", r.stdout, r.stderr)
	}
	return r.code, r
}

const netConfig = `
bridge "service" {
  addresses = ["192.0.2.1/24"]
}

block "data" {
  size = 4
}

unikernel "web" {
  image  = "web.hvt"
  memory = 32
  argv   = ["--ipv4=192.0.2.2/24"]
  net "service" {}
  restart {
    backoff = "100ms"
  }
  stop_timeout = "2s"
}

unikernel "db" {
  image = "db.hvt"
  block "storage" {
    device = "data"
  }
  stop_timeout = "2s"
}
`

func (h *liveHost) netImages() {
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.image("db.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "print db up; tick 1s"})
}

func TestLiveApplyConverges(t *testing.T) {
	h := newLiveHost(t)
	h.netImages()
	h.write("main.hcl", netConfig)

	// phase: the first plan and apply
	if code, _ := h.detailedPlan(); code != 2 {
		t.Fatalf("plan on an empty host: exit %d, want 2", code)
	}
	r := h.must("apply", "-auto-approve")
	for _, want := range []string{"bridge.service: created", "block.data: created", "unikernel.web: created", "unikernel.db: created", "Apply complete! 4 added"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("apply output lacks %q", want)
		}
	}

	// phase: converged
	if code, r := h.detailedPlan(); code != 0 || !strings.Contains(r.stdout, "No changes.") {
		t.Errorf("plan after apply: exit %d, want 0 and No changes", code)
	}
	web := h.status("web")
	r = h.must("apply", "-auto-approve")
	if !strings.Contains(r.stdout, "No changes.") {
		t.Errorf("second apply changed something:\n%s", r.stdout)
	}
	if again := h.status("web"); again.TenderPID != web.TenderPID {
		t.Errorf("second apply restarted web: pid %d -> %d", web.TenderPID, again.TenderPID)
	}

	// phase: the host really is as declared
	if err := h.ping("192.0.2.2"); err != nil {
		t.Errorf("ping the unikernel through the bridge: %v", err)
	}
	tap := plan.TapName("web", "service")
	out, err := h.ip("-d", "link", "show", tap)
	if err != nil || !strings.Contains(out, "master service") || !strings.Contains(out, "alias roost:web:service") {
		t.Errorf("tap %s: %v\n%s", tap, err, out)
	}
	var st views.Status
	r = h.must("status", "-json")
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Unikernels) != 2 || st.Unikernels[1].Name != "web" || st.Unikernels[1].State != "running" || st.Unikernels[1].TenderPID == 0 || st.Unikernels[1].RSSBytes == 0 {
		t.Errorf("status -json = %+v", st.Unikernels)
	}
	r = h.must("logs", "db")
	if !strings.Contains(r.stdout, "db up") || !strings.Contains(r.stdout, "Solo5: Bindings version") {
		t.Errorf("logs db lacks the banner and the console line:\n%s", r.stdout)
	}
	r = h.must("logs", "-t", "-n", "1", "db")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 1 || datadir.StripStamp(lines[0]) == lines[0] {
		t.Errorf("logs -t -n 1 = %q, want one timestamped line", r.stdout)
	}

	// phase: logs -f prints new lines as they come
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	follow := h.ns.Command(ctx, "roost", "logs", "-f", "-n", "0", "db")
	follow.Env = h.env
	stdout, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	follow.Process.Signal(syscall.SIGTERM)
	follow.Wait()
	if err != nil || !strings.HasPrefix(line, "tick ") {
		t.Errorf("logs -f printed %q (%v), want the next tick line", line, err)
	}

	// phase: destroy keeps the block, removes the rest
	h.must("destroy", "-auto-approve")
	if _, err := os.Stat(h.dbdir.Block("data")); err != nil {
		t.Errorf("destroy removed the block: %v", err)
	}
	if out, _ := h.ip("link", "show"); strings.Contains(out, tap) || strings.Contains(out, "service") {
		t.Errorf("destroy left links:\n%s", out)
	}
	if ents, _ := os.ReadDir(h.dbdir.UnikernelsDir()); len(ents) != 0 {
		t.Errorf("destroy left unikernel directories: %v", ents)
	}
}
