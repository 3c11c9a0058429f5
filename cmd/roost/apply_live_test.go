//go:build integration && linux

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roostd/roost/platform/datadir"

	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planjson"
	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/solo5"
)

func webConfig(extra string) string {
	return `
bridge "service" {
  addresses = ["192.0.2.1/24"]
}

unikernel "web" {
  image  = "web.hvt"
  memory = 32
  argv   = ["--ipv4=192.0.2.2/24"]
  net "service" {}
  stop_timeout = "2s"
` + extra + `
}
`
}

func (h *liveHost) planJSON() *planjson.Plan {
	h.t.Helper()
	r := h.roost("plan", "-json")
	var p planjson.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		h.t.Fatalf("plan -json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	return &p
}

// actions lists "action address" for each change of a JSON plan.
func actions(p *planjson.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Action+" "+c.Address)
	}
	return out
}

func TestLiveFieldChanges(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("main.hcl", webConfig(""))
	h.must("apply", "-auto-approve")
	first := h.status("web")

	// phase: restart policy and stop_timeout update in place; the tender
	// keeps its pid and the shim takes the new policy.
	h.write("main.hcl", webConfig(`restart { policy = "always" }`))
	if got := actions(h.planJSON()); fmt.Sprint(got) != "[update unikernel.web]" {
		t.Fatalf("plan after a restart policy change = %v, want [update unikernel.web]", got)
	}
	h.must("apply", "-auto-approve")
	var spec datadir.Spec
	if err := h.dbdir.ReadJSON(h.dbdir.Spec("web"), &spec); err != nil {
		t.Fatal(err)
	}
	st := h.waitStatus("web", "reload of the new spec", func(s datadir.Status) bool { return s.SpecDigest == datadir.Digest(&spec) })
	if st.TenderPID != first.TenderPID || spec.Restart.Policy != "always" {
		t.Errorf("after an in-place update: tender pid %d (was %d), policy %q", st.TenderPID, first.TenderPID, spec.Restart.Policy)
	}

	// phase: each field the tender sees replaces the unikernel
	pid := st.TenderPID
	for _, tc := range []struct {
		name, field string
		change      func()
	}{
		{"memory", "memory", func() {
			h.write("main.hcl", strings.Replace(webConfig(`restart { policy = "always" }`), "memory = 32", "memory = 48", 1))
		}},
		{"argv", "argv", func() {
			h.write("main.hcl", strings.Replace(webConfig(`restart { policy = "always" }`), "192.0.2.2/24", "192.0.2.3/24", 1))
		}},
		{"image", "image", func() {
			h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "print v2; serve"})
		}},
	} {
		tc.change()
		p := h.planJSON()
		if got := actions(p); fmt.Sprint(got) != "[replace unikernel.web]" {
			t.Fatalf("%s: plan = %v, want [replace unikernel.web]", tc.name, got)
		}
		forces := false
		for _, f := range p.Changes[0].Fields {
			forces = forces || (f.Name == tc.field && f.ForcesReplacement)
		}
		if !forces {
			t.Errorf("%s: field %q not marked as forcing replacement: %+v", tc.name, tc.field, p.Changes[0].Fields)
		}
		r := h.must("plan")
		if !strings.Contains(r.stdout, "# forces replacement") || !strings.Contains(r.stdout, "-/+ unikernel \"web\"") {
			t.Errorf("%s: plan text lacks -/+ and # forces replacement:\n%s", tc.name, r.stdout)
		}
		h.must("apply", "-auto-approve")
		st := h.status("web")
		if st.TenderPID == pid || st.State != datadir.StateRunning {
			t.Errorf("%s: after replace tender pid %d (was %d), state %s", tc.name, st.TenderPID, pid, st.State)
		}
		pid = st.TenderPID
	}
	// The image store keeps only the image in use.
	ents, _ := os.ReadDir(h.dbdir.ImagesDir())
	if len(ents) != 1 || ents[0].Name() != h.spec("web").ImageSHA256 {
		t.Errorf("image store after replacing the image: %v", ents)
	}
	if err := h.ping("192.0.2.3"); err != nil {
		t.Errorf("ping the replaced unikernel: %v", err)
	}
}

func (h *liveHost) spec(name string) datadir.Spec {
	h.t.Helper()
	var s datadir.Spec
	if err := h.dbdir.ReadJSON(h.dbdir.Spec(name), &s); err != nil {
		h.t.Fatal(err)
	}
	return s
}

func TestLiveCrashBackoff(t *testing.T) {
	h := newLiveHost(t)
	h.image("crash.hvt", solo5test.Spec{Behaviour: "print crashing; exit 3"})
	h.write("main.hcl", `
unikernel "crash" {
  image = "crash.hvt"
  restart {
    policy      = "on-failure"
    backoff     = "100ms"
    max_backoff = "400ms"
  }
}
`)
	// A tender that dies at once fails apply's verify window.
	r := h.roost("apply", "-auto-approve")
	if r.code != 1 || !strings.Contains(r.stdout, "tender exited with code 3") || !strings.Contains(r.stdout, "crashing") {
		t.Errorf("apply of a crashing unikernel: exit %d, want 1 with the exit code and console tail", r.code)
	}
	// The shim restarts it with growing delays, capped.
	delays := map[int]time.Duration{}
	deadline := time.Now().Add(10 * time.Second)
	for len(delays) < 5 && time.Now().Before(deadline) {
		var st datadir.Status
		if h.dbdir.ReadJSON(h.dbdir.Status("crash"), &st) == nil && st.State == datadir.StateBackoff && st.LastExit != nil {
			delays[st.Restarts] = st.NextStart.Sub(st.LastExit.At).Round(10 * time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond}
	for i, w := range want {
		if d := delays[i]; d < w-20*time.Millisecond || d > w+20*time.Millisecond {
			t.Errorf("delay before restart %d = %v, want %v (all: %v)", i+1, d, w, delays)
		}
	}
	// Watch or apply do not fight the shim: a live shim in backoff is
	// converged as far as plan is concerned.
	if code, _ := h.detailedPlan(); code != 0 {
		t.Errorf("plan while the shim backs off: exit %d, want 0", code)
	}
	code := 3
	if st := h.status("crash"); st.LastExit == nil || st.LastExit.Code == nil || *st.LastExit.Code != code || st.Restarts < 4 {
		t.Errorf("status = %+v, want restarts >= 4 and last exit code 3", st)
	}
}

func TestLivePolicyEnds(t *testing.T) {
	h := newLiveHost(t)
	h.image("bad.hvt", solo5test.Spec{Behaviour: "print bad argument; exit 1"})
	h.image("job.hvt", solo5test.Spec{Behaviour: "print job done; exit 0"})
	h.write("main.hcl", `
unikernel "bad" {
  image = "bad.hvt"
  restart { backoff = "50ms" }
}
unikernel "job" {
  image = "job.hvt"
  restart { policy = "never" }
}
`)
	r := h.roost("apply", "-auto-approve")
	if r.code != 1 || !strings.Contains(r.stdout, "unikernel.bad: failed") || !strings.Contains(r.stdout, "unikernel.job: created") {
		t.Fatalf("apply: exit %d; want bad failed (exit code 1 is a configuration error) and job created", r.code)
	}
	time.Sleep(300 * time.Millisecond) // several backoffs, had it restarted
	if st := h.status("bad"); st.State != datadir.StateFailed || st.Restarts != 0 {
		t.Errorf("bad: state %s, restarts %d; want failed, 0", st.State, st.Restarts)
	}
	if st := h.status("job"); st.State != datadir.StateExited {
		t.Errorf("job: state %s, want exited", st.State)
	}
	// Both are converged: nothing to do, and the plan names them.
	code, r := h.detailedPlan()
	if code != 0 || !strings.Contains(r.stdout, "Not running by policy") || !regexp.MustCompile(`unikernel "job": exited, exited with code 0 at`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, `unikernel "bad": failed, exited with code 1`) {
		t.Errorf("plan after both ended: exit %d, want 0 naming both", code)
	}
	// -replace starts one again.
	r = h.must("apply", "-auto-approve", "-replace", "job")
	if !strings.Contains(r.stdout, "unikernel.job: replaced") {
		t.Errorf("apply -replace job did not replace it")
	}
	if got := strings.Count(h.must("logs", "job").stdout, "job done"); got != 2 {
		t.Errorf("job ran %d times, want 2", got)
	}
}

func TestLiveShimKilled(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("main.hcl", webConfig(""))
	h.must("apply", "-auto-approve")
	st := h.status("web")
	if err := syscall.Kill(st.ShimPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The tender dies with its shim (Pdeathsig).
	deadline := time.Now().Add(5 * time.Second)
	for alive(st.TenderPID) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(st.TenderPID) {
		t.Fatalf("tender %d survived its shim", st.TenderPID)
	}
	p := h.planJSON()
	if got := actions(p); fmt.Sprint(got) != "[start unikernel.web]" || !strings.Contains(p.Changes[0].Reasons[0], fmt.Sprintf("no shim holds shim.lock; status.json last said running, shim pid %d", st.ShimPID)) {
		t.Fatalf("plan after the shim was killed = %v %v", got, p.Changes)
	}
	h.must("apply", "-auto-approve")
	if code, _ := h.detailedPlan(); code != 0 {
		t.Errorf("plan after healing: exit %d, want 0", code)
	}
	if err := h.ping("192.0.2.2"); err != nil {
		t.Errorf("ping after healing: %v", err)
	}
}

func TestLiveReboot(t *testing.T) {
	h := newLiveHost(t)
	h.netImages()
	h.image("db.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "block-write storage 4096 precious data; tick 1s"})
	h.write("main.hcl", netConfig)
	h.must("apply", "-auto-approve")
	h.waitStatus("db", "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })
	before := fileSum(t, h.dbdir.Block("data"))
	if !bytes.Contains(mustRead(t, h.dbdir.Block("data")), []byte("precious data")) {
		t.Fatal("db did not write its block")
	}

	// "Reboot": every shim and tender gone, every tap and bridge gone;
	// the data directory stays.
	for _, name := range []string{"web", "db"} {
		st := h.status(name)
		syscall.Kill(st.ShimPID, syscall.SIGKILL)
		syscall.Kill(-st.TenderPID, syscall.SIGKILL)
	}
	for _, link := range []string{plan.TapName("web", "service"), "service"} {
		if out, err := h.ip("link", "del", link); err != nil {
			t.Fatalf("ip link del %s: %v %s", link, err, out)
		}
	}
	time.Sleep(100 * time.Millisecond)
	p := h.planJSON()
	if got := fmt.Sprint(actions(p)); got != "[create bridge.service start unikernel.db start unikernel.web]" {
		t.Fatalf("plan after reboot = %s", got)
	}
	h.must("apply", "-auto-approve")
	if code, _ := h.detailedPlan(); code != 0 {
		t.Errorf("plan after restoring: exit %d, want 0", code)
	}
	if err := h.ping("192.0.2.2"); err != nil {
		t.Errorf("ping after restoring: %v", err)
	}
	h.waitStatus("db", "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })
	if after := fileSum(t, h.dbdir.Block("data")); after != before {
		t.Errorf("block data changed across the reboot: %s -> %s", before, after)
	}
}

func TestLiveBlocks(t *testing.T) {
	h := newLiveHost(t)
	h.image("db.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "block-read storage 0 11; tick 1s"})
	cfg := func(size int, memory int) string {
		return fmt.Sprintf(`
block "data" {
  size = %d
}
unikernel "db" {
  image  = "db.hvt"
  memory = %d
  block "storage" { device = "data" }
}
`, size, memory)
	}
	h.write("main.hcl", cfg(4, 32))
	h.must("apply", "-auto-approve")
	// Data written by someone: the block is the unikernel's disk.
	f, err := os.OpenFile(h.dbdir.Block("data"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("hello world"), 0)
	f.Close()
	sum := fileSum(t, h.dbdir.Block("data"))
	if fi, _ := os.Stat(h.dbdir.Block("data")); fi.Mode().Perm() != 0o600 || fi.Size() != 4<<20 {
		t.Errorf("block file mode %v size %d, want 0600 and 4 MiB", fi.Mode().Perm(), fi.Size())
	}

	// phase: the data survives a replace, and the new tender reads it
	h.write("main.hcl", cfg(4, 48))
	h.must("apply", "-auto-approve")
	if got := fileSum(t, h.dbdir.Block("data")); got != sum {
		t.Errorf("block changed across a replace")
	}
	h.waitStatus("db", "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })
	time.Sleep(50 * time.Millisecond)
	if logs := h.must("logs", "-n", "1", "db").stdout; !strings.Contains(logs, `"hello world"`) {
		t.Errorf("the replaced unikernel did not read the block's data: %q", logs)
	}

	// phase: growing is allowed, shrinking is refused without the flag
	h.write("main.hcl", cfg(8, 48))
	h.must("apply", "-auto-approve")
	h.write("main.hcl", cfg(2, 48))
	r := h.roost("apply", "-auto-approve")
	if r.code != 1 || !strings.Contains(r.stderr, "shrinking from 8 MiB to 2 MiB would destroy data") {
		t.Errorf("shrink without -allow-data-loss: exit %d, want 1 with the reason", r.code)
	}
	if fi, _ := os.Stat(h.dbdir.Block("data")); fi.Size() != 8<<20 {
		t.Errorf("refused shrink changed the block: size %d", fi.Size())
	}

	// phase: a block the configuration drops is retained, with its data
	h.write("main.hcl", "")
	r = h.must("apply", "-auto-approve")
	if !strings.Contains(r.stdout, `block "data" (8 MiB)`) {
		t.Errorf("apply did not list the retained block:\n%s", r.stdout)
	}
	if got := mustRead(t, h.dbdir.Block("data")); !bytes.HasPrefix(got, []byte("hello world")) {
		t.Error("retained block lost its data")
	}
	if code, _ := h.detailedPlan(); code != 0 {
		t.Errorf("plan with only a retained block: exit %d, want 0", code)
	}
	// Only -allow-data-loss deletes it.
	h.must("apply", "-auto-approve", "-allow-data-loss")
	if _, err := os.Stat(h.dbdir.Block("data")); !os.IsNotExist(err) {
		t.Errorf("block still there after -allow-data-loss: %v", err)
	}
}

func TestLiveStalePlan(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("main.hcl", webConfig(""))
	planFile := filepath.Join(t.TempDir(), "web.plan")

	// phase: config changed after the plan
	h.must("plan", "-out", planFile)
	h.write("main.hcl", strings.Replace(webConfig(""), "memory = 32", "memory = 40", 1))
	r := h.roost("apply", planFile)
	if r.code != 1 || !strings.Contains(r.stderr, "plan is stale: the configuration") {
		t.Errorf("apply of a plan made before a config change: exit %d, want 1 and 'plan is stale'", r.code)
	}
	if _, err := os.Stat(h.dbdir.UnikernelsDir()); err == nil {
		if ents, _ := os.ReadDir(h.dbdir.UnikernelsDir()); len(ents) > 0 {
			t.Errorf("a stale plan changed the host: %v", ents)
		}
	}

	// phase: a fresh plan applies without asking
	h.must("plan", "-out", planFile)
	r = h.must("apply", planFile)
	if !strings.Contains(r.stdout, "unikernel.web: created") {
		t.Errorf("apply of a fresh plan file did not create web")
	}

	// phase: host changed after the plan
	h.write("main.hcl", webConfig(""))
	h.must("plan", "-out", planFile)
	st := h.status("web")
	syscall.Kill(st.ShimPID, syscall.SIGKILL)
	time.Sleep(100 * time.Millisecond)
	r = h.roost("apply", planFile)
	if r.code != 1 || !strings.Contains(r.stderr, "plan is stale: the host changed") {
		t.Errorf("apply of a plan made before the host changed: exit %d, want 1 and 'plan is stale: the host changed'", r.code)
	}
}

func TestLiveConcurrentApply(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("main.hcl", webConfig(""))

	// phase: a held lock names its holder
	release, err := platform.Lock(t.Context(), h.dbdir, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := h.roost("apply", "-auto-approve", "-lock-timeout", "0s")
	if r.code != 1 || !strings.Contains(r.stderr, "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("apply against a held lock: exit %d, want 1 naming pid %d", r.code, os.Getpid())
	}
	// A waiting apply goes ahead once the lock is released.
	go func() { time.Sleep(300 * time.Millisecond); release() }()
	h.must("apply", "-auto-approve", "-lock-timeout", "10s")

	// phase: two applies at once: both succeed, one after the other
	h.write("main.hcl", strings.Replace(webConfig(""), "memory = 32", "memory = 40", 1))
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = h.roost("apply", "-auto-approve", "-lock-timeout", "30s") }()
	}
	wg.Wait()
	replaced := 0
	for _, r := range results {
		if r.code != 0 {
			t.Errorf("concurrent apply: exit %d\n%s", r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "unikernel.web: replaced") {
			replaced++
		}
	}
	if replaced != 1 {
		t.Errorf("%d of the two concurrent applies replaced web, want 1", replaced)
	}
	if code, _ := h.detailedPlan(); code != 0 {
		t.Errorf("plan after concurrent applies: exit %d, want 0", code)
	}
}

func TestLiveBadHost(t *testing.T) {
	tests := []struct {
		name   string
		config string
		env    []string
		want   string
	}{
		{"missing-tender", webConfig(""), []string{"PATH=" + testBinDir() + ":/usr/sbin:/usr/bin:/sbin:/bin"},
			`unikernel.web \(main.hcl:\d+\): no Solo5 tender found: no solo5-hvt.2 or solo5-hvt speaking ABI version 2`},
		{"wrong-tender-abi", webConfig(""), []string{"ROOST_SIM_ABI=3"},
			`solo5-hvt speaks ABI version 3`},
		{"bridge-absent", strings.Replace(webConfig(""), `net "service" {}`, `net "service" { bridge = "nosuch" }`, 1),
			nil, `bridge "nosuch" is neither declared nor present on the host`},
		{"cpu-absent", webConfig(`cpus = [999]`), nil,
			`cpu 999 does not exist on this host`},
		{"memory-over-host", strings.Replace(webConfig(""), "memory = 32", "memory = 1048576", 1), nil,
			`memory 1048576 MiB exceeds the host's`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newLiveHost(t)
			h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
			h.write("main.hcl", tt.config)
			re := regexp.MustCompile(tt.want)
			r := h.roostEnv(tt.env, "plan")
			if r.code != 1 || !re.MatchString(r.stderr) || !strings.Contains(r.stderr, "roost: the host cannot run this configuration") {
				t.Errorf("plan: exit %d, want 1 and %q", r.code, tt.want)
			}
			r = h.roostEnv(tt.env, "apply", "-auto-approve")
			if r.code != 1 || !re.MatchString(r.stderr) || !strings.Contains(r.stderr, "nothing was changed") {
				t.Errorf("apply: exit %d, want 1 and %q", r.code, tt.want)
			}
			// Nothing changed: no links beside lo, no unikernels.
			if out, _ := h.ip("-o", "link", "show"); strings.Count(out, "\n") != 1 {
				t.Errorf("links after a refused apply:\n%s", out)
			}
			if ents, _ := os.ReadDir(h.dbdir.UnikernelsDir()); len(ents) != 0 {
				t.Errorf("unikernels after a refused apply: %v", ents)
			}
		})
	}
}

// testBinDir is the directory testscript put this binary in as "roost".
func testBinDir() string { return filepath.SplitList(os.Getenv("PATH"))[0] }

func fileSum(t *testing.T, path string) string {
	t.Helper()
	return fmt.Sprintf("%x", sha256.Sum256(mustRead(t, path)))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
