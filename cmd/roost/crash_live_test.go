//go:build integration && linux

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roostd/roost/internal/fault"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/shim"
	"github.com/roostd/roost/platform/solo5"
)

// The crash harness of issue 8: apply and the shim are SIGKILLed at their
// fault points (package internal/fault), then apply runs again without
// faults, and the host must be converged with nothing leaked and every
// block byte-identical. ROOST_TORTURE=1 (make torture) runs the long
// forms: every reach of every point, and 50 random kills.

// torture reports whether the long forms run.
func torture() bool { return os.Getenv("ROOST_TORTURE") != "" }

// crashStage is the configuration of stage k of the crash sequence. Stage
// 0 creates a bridge, two blocks (data from a seed file) and three
// unikernels with taps; each odd stage grows data, replaces db (memory),
// destroys old (dropping its block keep from the configuration: retained)
// and creates new; each even stage after 0 brings old back and replaces
// db again. data only grows, so every stage can follow every other.
func crashStage(k int) string {
	src := fmt.Sprintf(`
bridge "service" {
  addresses = ["192.0.2.1/24"]
}

block "data" {
  size   = %d
  source = "seed.img"
}

unikernel "web" {
  image  = "web.hvt"
  argv   = ["--ipv4=192.0.2.2/24"]
  net "service" {}
  stop_timeout = "2s"
}

unikernel "db" {
  image  = "db.hvt"
  memory = %d
  block "storage" {
    device = "data"
  }
  stop_timeout = "2s"
}
`, 4+k, 32+16*(k%2))
	if k%2 == 0 {
		src += `
block "keep" {
  size = 4
}

unikernel "old" {
  image = "old.hvt"
  net "service" {}
  block "storage" {
    device = "keep"
  }
  stop_timeout = "2s"
}
`
	} else {
		src += `
unikernel "new" {
  image = "web.hvt"
  argv  = ["--ipv4=192.0.2.3/24"]
  net "service" {}
  stop_timeout = "2s"
}
`
	}
	return src
}

// crashDeclared is what stage k declares: unikernel -> its net devices.
func crashDeclared(k int) map[string][]string {
	d := map[string][]string{"web": {"service"}, "db": nil}
	if k%2 == 0 {
		d["old"] = []string{"service"}
	} else {
		d["new"] = []string{"service"}
	}
	return d
}

// crashHost is a liveHost running the crash sequence, with what its
// blocks must hold.
type crashHost struct {
	*liveHost
	stage int
	seed  []byte // data's source
	// data and keep are the bytes written into the blocks, which they
	// must hold from then on (padded with zeros to their size).
	data, keep []byte
}

func newCrashHost(t *testing.T) *crashHost {
	h := &crashHost{liveHost: newLiveHost(t)}
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.image("db.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "block-read storage 0 16; tick 1s"})
	h.image("old.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service"), solo5test.Block("storage")}, Behaviour: "print old; tick 1s"})
	h.seed = bytes.Repeat([]byte("seed of data "), 10000)
	if err := os.WriteFile(filepath.Join(h.dir, "seed.img"), h.seed, 0o644); err != nil {
		t.Fatal(err)
	}
	h.data = h.seed
	h.keep = nil
	return h
}

// setStage writes the configuration of stage k.
func (h *crashHost) setStage(k int) {
	h.stage = k
	h.write("main.hcl", crashStage(k))
}

// writeBlocks writes data of its own into both blocks, directly into
// their files, as a guest would, and remembers it.
func (h *crashHost) writeBlocks() {
	h.t.Helper()
	for _, b := range []struct {
		name string
		off  int64
		got  *[]byte
	}{{"data", 1 << 20, &h.data}, {"keep", 4096, &h.keep}} {
		f, err := os.OpenFile(h.dbdir.Block(b.name), os.O_RDWR, 0)
		if err != nil {
			h.t.Fatal(err)
		}
		msg := []byte(fmt.Sprintf("written into %s at %s", b.name, time.Now()))
		if _, err := f.WriteAt(msg, b.off); err != nil {
			h.t.Fatal(err)
		}
		f.Close()
		cur := append([]byte(nil), *b.got...)
		if int64(len(cur)) < b.off+int64(len(msg)) {
			cur = append(cur, make([]byte, b.off+int64(len(msg))-int64(len(cur)))...)
		}
		copy(cur[b.off:], msg)
		*b.got = cur
	}
}

// crashRun runs roost with extra environment and reports whether it died
// of SIGKILL.
func (h *liveHost) crashRun(env []string, args ...string) (result, bool) {
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
	if err != nil && !errors.As(err, &ee) {
		h.t.Fatalf("run roost %v: %v", args, err)
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	killed := ws.Signaled() && ws.Signal() == syscall.SIGKILL
	r.code = cmd.ProcessState.ExitCode()
	h.t.Logf("$ %s roost %s (exit %d, killed %v)\n%s%s", strings.Join(env, " "), strings.Join(args, " "), r.code, killed, r.stdout, r.stderr)
	return r, killed
}

// reach is one reach of a fault point: the n-th of name.
type reach struct {
	name string
	n    int
}

func (r reach) String() string { return fmt.Sprintf("%s:%d", r.name, r.n) }

// traceReaches runs apply of h's stage with ROOST_FAULT_TRACE and returns
// the reaches of apply's own points (not the shims'), in order.
func (h *crashHost) traceReaches() []reach {
	h.t.Helper()
	trace := filepath.Join(h.t.TempDir(), "trace")
	if r, killed := h.crashRun([]string{fault.EnvTrace + "=" + trace}, "apply", "-auto-approve"); r.code != 0 || killed {
		h.t.Fatalf("traced apply of stage %d: exit %d", h.stage, r.code)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		h.t.Fatal(err)
	}
	counts := map[string]int{}
	var out []reach
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		_, name, _ := strings.Cut(line, " ")
		if name == "" || strings.HasPrefix(name, "shim.") {
			continue
		}
		counts[name]++
		out = append(out, reach{name, counts[name]})
	}
	return out
}

// crashCases is which reaches to kill at: all in torture, else each
// point's first and last reach.
func crashCases(all []reach) []reach {
	if torture() {
		return all
	}
	last := map[string]int{}
	for _, r := range all {
		last[r.name] = r.n
	}
	var out []reach
	for _, r := range all {
		if r.n == 1 || r.n == last[r.name] {
			out = append(out, r)
		}
	}
	return out
}

// TestLiveCrashApply kills apply at every fault point that creating
// (stage 0) and then replacing, destroying and resizing (stage 1) reach,
// applies again, and checks the host.
func TestLiveCrashApply(t *testing.T) {
	// The points each stage reaches, from a traced run.
	tr := newCrashHost(t)
	tr.setStage(0)
	create := tr.traceReaches()
	tr.checkConverged()
	tr.setStage(1)
	change := tr.traceReaches()
	tr.checkConverged()
	for _, want := range []string{"apply.step.begin", "apply.step.done", "apply.start.spawned", "apply.start.tapped", "apply.run.done", "apply.pruned",
		"platform.start.spec", "platform.block.tmp", "platform.block.filled", "platform.image.tmp"} {
		if !hasPoint(create, want) {
			t.Errorf("creating does not reach %s: %v", want, create)
		}
	}
	for _, want := range []string{"apply.replace.stopped", "apply.delete.stopped", "platform.block.resized"} {
		if !hasPoint(change, want) {
			t.Errorf("changing does not reach %s: %v", want, change)
		}
	}
	t.Logf("creating reaches %v", create)
	t.Logf("changing reaches %v", change)

	for _, tc := range []struct {
		phase   string
		reaches []reach
		from    int // the stage applied before the crash, -1 for none
	}{{"create", create, -1}, {"change", change, 0}} {
		for _, at := range crashCases(tc.reaches) {
			t.Run(tc.phase+"/"+at.String(), func(t *testing.T) {
				t.Parallel()
				h := newCrashHost(t)
				if tc.from >= 0 {
					h.setStage(tc.from)
					h.must("apply", "-auto-approve")
					h.writeBlocks()
				}
				h.setStage(tc.from + 1)
				if _, killed := h.crashRun([]string{fault.Env + "=" + at.String()}, "apply", "-auto-approve"); !killed {
					t.Fatalf("apply was not killed at %s", at)
				}
				h.must("apply", "-auto-approve")
				h.checkConverged()
			})
		}
	}
}

func hasPoint(rs []reach, name string) bool {
	for _, r := range rs {
		if r.name == name {
			return true
		}
	}
	return false
}

// TestLiveCrashRandom kills apply at random points (ROOST_FAULT_RANDOM)
// while the configuration moves from stage to stage, 5 times (50 in
// torture), applying again after each.
func TestLiveCrashRandom(t *testing.T) {
	want := 5
	if torture() {
		want = 50
	}
	h := newCrashHost(t)
	h.setStage(0)
	h.must("apply", "-auto-approve")
	h.writeBlocks()
	kills := 0
	for seed := 1; kills < want; seed++ {
		if seed > want*10 {
			t.Fatalf("only %d kills in %d applies", kills, seed-1)
		}
		h.setStage(h.stage + 1)
		_, killed := h.crashRun([]string{fmt.Sprintf("%s=%d:6", fault.EnvRandom, seed)}, "apply", "-auto-approve")
		if killed {
			kills++
		}
		h.must("apply", "-auto-approve")
		h.checkConverged()
		if t.Failed() {
			t.Fatalf("after seed %d (killed %v), stage %d", seed, killed, h.stage)
		}
	}
}

// TestLiveCrashShim kills the shims at each of their points: apply starts
// them (stage 0) with ROOST_SHIM_FAULT, or, for the stop, replaces them
// (stage 1) after starting them so; then apply runs again without faults.
func TestLiveCrashShim(t *testing.T) {
	for _, tc := range []struct {
		point string
		job   bool // a unikernel whose tender exits by itself
		stop  bool // the point is reached when a shim stops its tender
	}{
		{"shim.locked", false, false},
		{"shim.tender.started", false, false},
		{"shim.tender.exited", true, false},
		{"shim.tender.stopped", false, true},
	} {
		t.Run(tc.point, func(t *testing.T) {
			t.Parallel()
			h := newCrashHost(t)
			h.setStage(0)
			armed := []string{fault.ShimEnv + "=" + tc.point}
			if tc.job {
				h.image("job.hvt", solo5test.Spec{Behaviour: "print job done; exit 0"})
				h.write("job.hcl", "unikernel \"job\" {\n  image = \"job.hvt\"\n  restart { policy = \"never\" }\n}\n")
			}
			r, killed := h.crashRun(armed, "apply", "-auto-approve")
			if killed {
				t.Fatalf("apply itself was killed")
			}
			if tc.stop {
				if r.code != 0 {
					t.Fatalf("apply with shims armed to die at their stop: exit %d", r.code)
				}
				h.setStage(1) // replaces db, destroys old: their shims die
				h.crashRun(nil, "apply", "-auto-approve")
			}
			h.must("apply", "-auto-approve")
			h.checkConverged()
			if tc.job {
				if st := h.status("job"); st.State != datadir.StateExited {
					t.Errorf("job: state %s, want exited", st.State)
				}
			}
		})
	}
}

// TestLiveCrashShimRandom kills shims at random points (their points
// only; apply is not armed) over stages, 3 times (20 in torture).
func TestLiveCrashShimRandom(t *testing.T) {
	rounds := 3
	if torture() {
		rounds = 20
	}
	h := newCrashHost(t)
	h.setStage(0)
	h.must("apply", "-auto-approve")
	for seed := 1; seed <= rounds; seed++ {
		h.setStage(h.stage + 1)
		h.crashRun([]string{fmt.Sprintf("%s=%d:40", fault.ShimEnvRandom, seed)}, "apply", "-auto-approve")
		h.must("apply", "-auto-approve")
		h.checkConverged()
		if t.Failed() {
			t.Fatalf("after seed %d, stage %d", seed, h.stage)
		}
	}
}

// checkConverged checks the host after a recovering apply: plan has no
// changes; the taps, shims, tenders, images and blocks are exactly those
// declared; no temporary file is left in the data directory.
func (h *crashHost) checkConverged() {
	t := h.t
	t.Helper()
	if code, r := h.detailedPlan(); code != 0 {
		t.Errorf("plan after recovery: exit %d, want 0\n%s", code, r.stdout)
	}
	declared := crashDeclared(h.stage)
	if _, err := os.Stat(filepath.Join(h.dir, "job.hcl")); err == nil {
		declared["job"] = nil
	}
	h.checkTaps(declared)
	h.checkProcesses(declared)
	h.checkImages(declared)
	h.checkTemps()
	h.checkBlocks()
}

// checkTaps checks that the tun/tap links are the declared taps, each
// with roost's alias.
func (h *crashHost) checkTaps(declared map[string][]string) {
	t := h.t
	t.Helper()
	out, err := h.ip("-j", "-d", "link", "show")
	if err != nil {
		t.Fatalf("ip link: %v %s", err, out)
	}
	var links []struct {
		Name     string `json:"ifname"`
		Alias    string `json:"ifalias"`
		LinkInfo struct {
			Kind string `json:"info_kind"`
		} `json:"linkinfo"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		t.Fatalf("ip -j link: %v", err)
	}
	want := map[string]string{}
	for u, nets := range declared {
		for _, n := range nets {
			want[plan.TapName(u, n)] = plan.TapAlias(u, n, h.dbdir.ID())
		}
	}
	for _, l := range links {
		if l.LinkInfo.Kind != "tun" {
			continue
		}
		alias, ok := want[l.Name]
		switch {
		case !ok:
			t.Errorf("leaked tap %s (alias %q)", l.Name, l.Alias)
		case l.Alias != alias:
			t.Errorf("tap %s has alias %q, want %q", l.Name, l.Alias, alias)
		}
		delete(want, l.Name)
	}
	for tap := range want {
		t.Errorf("declared tap %s is missing", tap)
	}
}

// proc is a process whose command line names the test's data directory.
type proc struct {
	pid, ppid int
	argv      []string
}

// dbdirProcs walks /proc for the live processes of this test's host: those
// whose command line holds h's data directory, a path unique to this test
// (shims), and those in the test's network namespace run from the tenders
// directory (tenders, which get their files as descriptors).
func (h *crashHost) dbdirProcs() []proc {
	var nsIno uint64
	if fi, err := os.Stat(h.ns.Path()); err == nil {
		nsIno = fi.Sys().(*syscall.Stat_t).Ino
	}
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || isZombie(pid) {
			continue
		}
		ours := bytes.Contains(b, []byte(string(h.dbdir)))
		if !ours && bytes.HasPrefix(b, []byte(h.tenders+"/")) {
			link, _ := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "net"))
			ours = nsIno != 0 && link == fmt.Sprintf("net:[%d]", nsIno)
		}
		if !ours {
			continue
		}
		out = append(out, proc{pid: pid, ppid: ppidOf(pid), argv: strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")})
	}
	return out
}

func ppidOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// checkProcesses checks that every process of the data directory is the
// live shim of a declared unikernel (holding its lock, named in its
// status) or that shim's tender, and that each declared unikernel that
// runs has exactly one of each.
func (h *crashHost) checkProcesses(declared map[string][]string) {
	t := h.t
	t.Helper()
	shims := map[int]string{} // pid -> unikernel
	var tenders []proc
	for _, p := range h.dbdirProcs() {
		if filepath.Base(p.argv[0]) != "roost-shim" {
			tenders = append(tenders, p)
			continue
		}
		name := p.argv[len(p.argv)-1]
		if _, ok := declared[name]; !ok {
			t.Errorf("leaked shim pid %d of %s, which is not declared: %q", p.pid, name, p.argv)
			continue
		}
		alive, pid, err := shim.Alive(h.dbdir, name)
		if err != nil || !alive || pid != p.pid {
			t.Errorf("shim pid %d of %s does not hold its lock (alive %v, holder %d, %v)", p.pid, name, alive, pid, err)
		}
		for other, n := range shims {
			if n == name {
				t.Errorf("two shims for %s: %d and %d", name, other, p.pid)
			}
		}
		shims[p.pid] = name
	}
	running := map[string]bool{}
	for _, p := range tenders {
		name, ok := shims[p.ppid]
		if !ok {
			t.Errorf("leaked process pid %d (parent %d, no live shim of a declared unikernel): %q", p.pid, p.ppid, p.argv)
			continue
		}
		if st := h.status(name); st.TenderPID != p.pid || st.ShimPID != p.ppid {
			t.Errorf("tender pid %d of %s: status names tender %d, shim %d", p.pid, name, st.TenderPID, st.ShimPID)
		}
		if running[name] {
			t.Errorf("two tenders for %s", name)
		}
		running[name] = true
	}
	for name := range declared {
		st, err := shim.ReadStatus(h.dbdir, name)
		if err != nil {
			t.Errorf("status of %s: %v", name, err)
			continue
		}
		switch st.State {
		case datadir.StateRunning:
			if !running[name] {
				t.Errorf("%s: status running (tender %d, shim %d), but no such tender lives", name, st.TenderPID, st.ShimPID)
			}
		case datadir.StateExited:
			if running[name] {
				t.Errorf("%s: status %s, but its tender lives", name, st.State)
			}
		default:
			t.Errorf("%s: status %s (%s), want running or exited", name, st.State, st.Message)
		}
	}
}

// checkImages checks that images/ holds exactly the digests of the applied
// specs, and unikernels/ exactly the declared unikernels.
func (h *crashHost) checkImages(declared map[string][]string) {
	t := h.t
	t.Helper()
	want := map[string]bool{}
	var names []string
	for name := range declared {
		var s datadir.Spec
		if err := h.dbdir.ReadJSON(h.dbdir.Spec(name), &s); err != nil {
			t.Errorf("spec of %s: %v", name, err)
			continue
		}
		want[s.ImageSHA256] = true
		names = append(names, name)
	}
	var got []string
	ents, _ := os.ReadDir(h.dbdir.ImagesDir())
	for _, e := range ents {
		if !datadir.Hidden(e.Name()) {
			got = append(got, e.Name())
		}
	}
	var wantList []string
	for d := range want {
		wantList = append(wantList, d)
	}
	sort.Strings(got)
	sort.Strings(wantList)
	if fmt.Sprint(got) != fmt.Sprint(wantList) {
		t.Errorf("images/ = %v, want the applied specs' %v", got, wantList)
	}
	got = nil
	ents, _ = os.ReadDir(h.dbdir.UnikernelsDir())
	for _, e := range ents {
		if !datadir.Hidden(e.Name()) {
			got = append(got, e.Name())
		}
	}
	sort.Strings(names)
	if fmt.Sprint(got) != fmt.Sprint(names) {
		t.Errorf("unikernels/ = %v, want %v", got, names)
	}
}

// checkTemps checks that no temporary file (a dot file) is left anywhere
// in the data directory (finding 12 of issue 8).
func (h *crashHost) checkTemps() {
	t := h.t
	t.Helper()
	filepath.WalkDir(string(h.dbdir), func(path string, d fs.DirEntry, err error) error {
		if err == nil && datadir.Hidden(d.Name()) {
			t.Errorf("temporary file left: %s", path)
		}
		return nil
	})
}

// checkBlocks checks that each block holds exactly what was written into
// it, padded with zeros to its size: data and, once written or declared,
// keep.
func (h *crashHost) checkBlocks() {
	t := h.t
	t.Helper()
	for _, b := range []struct {
		name string
		want []byte
		mib  int
	}{{"data", h.data, 4 + h.stage}, {"keep", h.keep, 4}} {
		got, err := os.ReadFile(h.dbdir.Block(b.name))
		if err != nil {
			t.Errorf("block %s: %v", b.name, err)
			continue
		}
		want := append(append([]byte(nil), b.want...), make([]byte, b.mib<<20-len(b.want))...)
		if !bytes.Equal(got, want) {
			t.Errorf("block %s: sha256 %x (%d bytes), want %x (%d bytes)", b.name, sha256.Sum256(got), len(got), sha256.Sum256(want), len(want))
		}
	}
}
