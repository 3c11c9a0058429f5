//go:build integration && linux

package main

// The live benchmarks (issue 9, item 6) measure roost from outside, each
// beside its floor measured in the same run. Each figure goes to the
// benchmark's metrics (b.ReportMetric, as medians) and, when
// ROOST_BENCH_JSON names a file, to that file as one JSON line, which
// internal/cmd/roost-benchtable turns into the table of BENCH.md (make
// bench). The figures' keys are that program's contract.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roostd/roost/platform/datadir"

	"github.com/roostd/roost/internal/netnstest"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/solo5"
)

// fleetConfig declares n unikernels of 8 MiB (as Solo5's test_net), each
// with a net device on one bridge, for the simulated tender: 1,000 of the
// default 32 MiB would not pass roost's memory check on a small host.
func fleetConfig(n int) string { return simFleet.config(n) }

// fleet is what a benchmark's unikernels run: by default the simulated
// tender with serveImage; with ROOST_BENCH_REAL_TENDER (a solo5-spt or
// solo5-hvt) and ROOST_BENCH_REAL_IMAGE (say Solo5's test_net.spt) that
// tender and image, as issue 9 measured, for figures beside the
// simulator's. A real image gets its net device's name from its manifest
// and no argv (test_net takes none); its tender is found through
// roost { tenders }, so it must be named as roost looks for it.
type fleet struct {
	image   string // file name in the configuration directory
	tender  string // the tender's path, for the floors
	netdev  string // the manifest's net device
	argv    bool   // whether each unikernel gets --ipv4
	tenders string // a directory for roost { tenders }, or ""
}

var simFleet = fleet{image: "u.hvt", netdev: "service", argv: true}

// newFleet writes the fleet's image into h's configuration directory.
func newFleet(h *liveHost) fleet {
	h.t.Helper()
	tender, image := os.Getenv("ROOST_BENCH_REAL_TENDER"), os.Getenv("ROOST_BENCH_REAL_IMAGE")
	if tender == "" && image == "" {
		h.image(simFleet.image, serveImage)
		f := simFleet
		f.tender = filepath.Join(h.tenders, "solo5-hvt")
		return f
	}
	if tender == "" || image == "" {
		h.t.Fatal("ROOST_BENCH_REAL_TENDER and ROOST_BENCH_REAL_IMAGE go together")
	}
	tender, err := filepath.Abs(tender)
	if err != nil {
		h.t.Fatal(err)
	}
	img, err := solo5.ReadImage(image)
	if err != nil {
		h.t.Fatal(err)
	}
	f := fleet{image: "u." + img.Target.String(), tender: tender, tenders: filepath.Dir(tender)}
	for _, d := range img.Devices {
		if d.Type == solo5.NetBasic && f.netdev == "" {
			f.netdev = d.Name
		}
	}
	if f.netdev == "" || len(img.Devices) != 1 {
		h.t.Fatalf("%s: the benchmark needs an image with one net device (test_net), not %v", image, img.Devices)
	}
	b, err := os.ReadFile(image)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, f.image), b, 0o644); err != nil {
		h.t.Fatal(err)
	}
	return f
}

// config declares n unikernels of the fleet.
func (f fleet) config(n int) string {
	var b strings.Builder
	if f.tenders != "" {
		fmt.Fprintf(&b, "roost {\n  tenders = [%q]\n}\n", f.tenders)
	}
	b.WriteString("bridge \"fleet\" {\n  addresses = [\"10.1.0.1/16\"]\n}\n")
	for i := range n {
		argv := ""
		if f.argv {
			argv = fmt.Sprintf("  argv = [\"--ipv4=%s\"]\n", fleetAddr(i))
		}
		fmt.Fprintf(&b, "unikernel \"u%d\" {\n  image = %q\n  memory = 8\n%s  net %q { bridge = \"fleet\" }\n}\n",
			i, f.image, argv, f.netdev)
	}
	return b.String()
}

// helperEnv is what the floors of TestBenchHelper need to run n of the
// fleet's tenders, as h's configuration directory holds them.
func (f fleet) helperEnv(h *liveHost, n int) []string {
	argv := "0"
	if f.argv {
		argv = "1"
	}
	return []string{"ROOST_BENCH_N=" + strconv.Itoa(n), "ROOST_BENCH_TENDER=" + f.tender,
		"ROOST_BENCH_IMAGE=" + filepath.Join(h.dir, f.image), "ROOST_BENCH_NETDEV=" + f.netdev, "ROOST_BENCH_IPV4=" + argv}
}

// fleetAddr is the address of fleetConfig's unikernel i.
func fleetAddr(i int) string { return fmt.Sprintf("10.1.%d.%d/16", (i+2)/256, (i+2)%256) }

// serveImage is the image of every benchmark fleet: one net device, and a
// guest that serves it until stopped.
var serveImage = solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"}

// newBenchHost is newLiveHost for benchmarks. The data directory lives
// where /var/lib/roost would, not in /tmp: on this kind of machine /tmp
// sees so much churn that ext4 takes 8 times longer to create a file there
// (0.17 ms against 0.02 ms). With ROOST_BENCH_BIN naming a directory (make
// bench: bin/, holding roost and roost-shim), roost is that build rather
// than this test binary, so the figures are those of what is installed.
func newBenchHost(b *testing.B) *liveHost {
	b.Helper()
	ns := netnstest.New(b)
	db, err := os.MkdirTemp("/var/tmp", "roost-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(db) })
	h := &liveHost{t: b, ns: ns, dir: b.TempDir(), dbdir: datadir.Dir(filepath.Join(db, "db")), tenders: simTenders(b)}
	path := os.Getenv("PATH") + ":" + h.tenders
	if bin := os.Getenv("ROOST_BENCH_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			b.Fatal(err)
		}
		path = abs + ":" + path
	}
	h.env = append(os.Environ(), "ROOST_DBDIR="+string(h.dbdir), "PATH="+path, "NO_COLOR=1")
	// Runs before the namespace and the data directory go (cleanups run
	// last first): every shim and tender, by the pids in status.json.
	b.Cleanup(h.stopAll)
	return h
}

// helper runs TestBenchHelper in mode inside the namespace, in the
// configuration directory, and returns the durations it printed
// ("NAME-ns N" lines) by NAME.
func (h *liveHost) helper(mode string, env ...string) map[string]time.Duration {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := h.ns.Command(ctx, os.Args[0], "-test.run=^TestBenchHelper$", "-test.count=1")
	cmd.Env = append(append(slices.Clone(h.env), "ROOST_BENCH_HELPER="+mode), env...)
	cmd.Dir = h.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("bench helper %s: %v\n%s", mode, err, out)
	}
	ds := map[string]time.Duration{}
	for _, line := range strings.Split(string(out), "\n") {
		name, v, ok := strings.Cut(line, "-ns ")
		if !ok || strings.ContainsAny(name, " \t") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			h.t.Fatalf("bench helper %s: bad line %q", mode, line)
		}
		ds[name] = time.Duration(n)
	}
	if len(ds) == 0 {
		h.t.Fatalf("bench helper %s printed no time:\n%s", mode, out)
	}
	return ds
}

// timed runs roost with args in the namespace and returns how long it
// took, in ms. The helper that runs it is already in the namespace and
// times only roost's own fork, exec and exit, not `ip netns exec`. With
// ROOST_BENCH_PROFILE naming a directory, each run writes a CPU profile
// there (ROOST_CPUPROFILE), named for the benchmark, the subcommand and a
// count: where the time goes when a target is missed.
func (h *liveHost) timed(args ...string) float64 {
	h.t.Helper()
	argv, _ := json.Marshal(append([]string{benchRoost()}, args...))
	env := []string{"ROOST_BENCH_ARGV=" + string(argv)}
	if dir := os.Getenv("ROOST_BENCH_PROFILE"); dir != "" {
		name := fmt.Sprintf("%s-%s-%d.pprof", strings.TrimPrefix(h.t.Name(), "Benchmark"), args[0], profileCount.Add(1))
		env = append(env, "ROOST_CPUPROFILE="+filepath.Join(dir, name))
	}
	return ms(h.helper("time", env...)["run"])
}

var profileCount atomic.Int64 // numbers ROOST_BENCH_PROFILE's profiles

// benchRoost returns the roost that timed runs: $ROOST_BENCH_BIN/roost by
// its absolute path, or "roost", this test binary. A name alone would not
// do for the build: the helper is this test binary too, and testscript.Main
// puts its own "roost" first on the helper's PATH.
func benchRoost() string {
	bin := os.Getenv("ROOST_BENCH_BIN")
	if bin == "" {
		return "roost"
	}
	abs, err := filepath.Abs(filepath.Join(bin, "roost"))
	if err != nil {
		return "roost"
	}
	return abs
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchFigure is one figure of a live benchmark, one JSON line of
// ROOST_BENCH_JSON. Key names the figure for roost-benchtable ("apply100",
// "floor.apply100"); Runs are the measurements and Median their median.
type benchFigure struct {
	Key    string    `json:"key"`
	What   string    `json:"what"`
	Unit   string    `json:"unit"` // "ms", "MiB", "%"
	Runs   []float64 `json:"runs"`
	Median float64   `json:"median"`
}

var benchJSONMu sync.Mutex // guards appends to $ROOST_BENCH_JSON

// record reports the median of runs as the metric KEY-UNIT and appends
// the figure to $ROOST_BENCH_JSON, if set.
func record(b *testing.B, key, what, unit string, runs []float64) {
	b.Helper()
	if len(runs) == 0 {
		b.Fatalf("figure %s: no runs", key)
	}
	f := benchFigure{Key: key, What: what, Unit: unit, Runs: runs, Median: medianOf(runs)}
	b.ReportMetric(f.Median, key+"-"+unit)
	b.Logf("%s (%s): median %.2f %s of %v", key, what, f.Median, unit, runs)
	path := os.Getenv("ROOST_BENCH_JSON")
	if path == "" {
		return
	}
	line, err := json.Marshal(f)
	if err != nil {
		b.Fatal(err)
	}
	benchJSONMu.Lock()
	defer benchJSONMu.Unlock()
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.Write(append(line, '\n')); err != nil {
		b.Fatal(err)
	}
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// memory is a process's resident and proportional set sizes in MiB.
type memory struct{ rss, pss float64 }

// procMemory reads Rss and Pss from /proc/PID/smaps_rollup.
func procMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	for _, l := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(l, ":")
		if !ok || name != "Rss" && name != "Pss" {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		if err != nil {
			return memory{}, fmt.Errorf("parse %s of pid %d: %w", name, pid, err)
		}
		if name == "Rss" {
			m.rss = kb / 1024
		} else {
			m.pss = kb / 1024
		}
	}
	return m, nil
}

// fleetMemory returns the median memory of the running shims and of their
// tenders, by the pids in status.json.
func (h *liveHost) fleetMemory() (shim, tender memory) {
	h.t.Helper()
	var srss, spss, trss, tpss []float64
	ents, err := os.ReadDir(h.dbdir.UnikernelsDir())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range ents {
		var st datadir.Status
		if h.dbdir.ReadJSON(h.dbdir.Status(e.Name()), &st) != nil || st.State != datadir.StateRunning {
			continue
		}
		s, err1 := procMemory(st.ShimPID)
		t, err2 := procMemory(st.TenderPID)
		if err1 != nil || err2 != nil {
			continue
		}
		srss, spss = append(srss, s.rss), append(spss, s.pss)
		trss, tpss = append(trss, t.rss), append(tpss, t.pss)
	}
	if len(srss) == 0 {
		h.t.Fatal("no running unikernel to measure")
	}
	return memory{medianOf(srss), medianOf(spss)}, memory{medianOf(trss), medianOf(tpss)}
}

// procCPU returns the CPU time (utime+stime) pid has used.
func procCPU(tb testing.TB, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // 100 ticks per second
}
