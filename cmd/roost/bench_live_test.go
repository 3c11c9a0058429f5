//go:build integration && linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roostd/roost/platform/datadir"

	"github.com/roostd/roost/internal/netnstest"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/solo5"
	"github.com/vishvananda/netlink"
)

// fleetConfig declares n unikernels, each with a net device on one bridge.
func fleetConfig(n int) string {
	var b strings.Builder
	b.WriteString("bridge \"fleet\" {\n  addresses = [\"10.1.0.1/16\"]\n}\n")
	for i := range n {
		fmt.Fprintf(&b, "unikernel \"u%d\" {\n  image = \"u.hvt\"\n  argv = [\"--ipv4=%s/16\"]\n  net \"service\" { bridge = \"fleet\" }\n}\n",
			i, fmt.Sprintf("10.1.%d.%d", (i+2)/256, (i+2)%256))
	}
	return b.String()
}

// BenchmarkLiveApply100 measures, in one run and on one namespace, the
// floor (what the host needs without roost: a netlink tap and a fork/exec
// of the same tender, waited on until it prints, 100 times in a row) and
// roost apply of 100 unikernels with a tap each on one bridge, then roost
// plan with the 100 running. It reports medians in ms and the ratio.
//
//	go test -tags integration -run '^$' -bench LiveApply100 -benchtime 5x ./cmd/roost
func BenchmarkLiveApply100(b *testing.B) {
	const n = 100
	ns := netnstest.New(b)
	tenders := simTenders(b)
	dir := b.TempDir()
	if err := solo5test.Write(filepath.Join(dir, "u.hvt"), solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"}); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fleetConfig(n)), 0o644); err != nil {
		b.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+os.Getenv("PATH")+":"+tenders, "NO_COLOR=1")
	// The data directory lives where /var/lib/roost would, not in /tmp:
	// on this kind of machine /tmp sees so much churn that ext4 takes 8
	// times longer to create a file there (0.17 ms against 0.02 ms).
	db, err := os.MkdirTemp("/var/tmp", "roost-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(db) })
	run := func(args ...string) time.Duration {
		cmd := ns.Command(context.Background(), "roost", args...)
		cmd.Env = append(env, "ROOST_DBDIR="+filepath.Join(db, "db"))
		cmd.Dir = dir
		start := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(start)
		if err != nil {
			b.Fatalf("roost %v: %v\n%s", args, err, out)
		}
		return d
	}
	var floors, applies, plans []time.Duration
	for range b.N {
		// Floor: a helper process inside the namespace times itself.
		cmd := ns.Command(context.Background(), os.Args[0], "-test.run=^TestFloorHelper$")
		cmd.Env = append(os.Environ(), "ROOST_FLOOR_N="+strconv.Itoa(n), "ROOST_FLOOR_TENDER="+filepath.Join(tenders, "solo5-hvt"),
			"ROOST_FLOOR_IMAGE="+filepath.Join(dir, "u.hvt"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("floor helper: %v\n%s", err, out)
		}
		var floor time.Duration
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "floor-ns "); ok {
				ns, _ := strconv.ParseInt(v, 10, 64)
				floor = time.Duration(ns)
			}
		}
		if floor == 0 {
			b.Fatalf("floor helper printed no time:\n%s", out)
		}
		floors = append(floors, floor)

		applies = append(applies, run("apply", "-auto-approve"))
		plans = append(plans, run("plan", "-detailed-exitcode"))
		run("destroy", "-auto-approve")
	}
	fm, am, pm := median(floors), median(applies), median(plans)
	b.ReportMetric(float64(fm.Milliseconds()), "floor-ms")
	b.ReportMetric(float64(am.Milliseconds()), "apply-ms")
	b.ReportMetric(float64(pm.Milliseconds()), "plan100-ms")
	b.ReportMetric(float64(am)/float64(fm), "apply/floor")
	b.Logf("floors %v\napplies %v\nplans %v", floors, applies, plans)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestFloorHelper is the floor of BenchmarkLiveApply100, run as a
// subprocess inside the benchmark's namespace: create a bridge, then for
// each of n unikernels a persistent tap on it over netlink and a fork/exec
// of the tender, waiting until the tender prints its first console line.
// It prints the time that took. Without ROOST_FLOOR_N it does nothing: it
// is not a test.
func TestFloorHelper(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ROOST_FLOOR_N"))
	if n == 0 {
		return
	}
	tender, image := os.Getenv("ROOST_FLOOR_TENDER"), os.Getenv("ROOST_FLOOR_IMAGE")
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "floorbr"}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	defer netlink.LinkDel(br)
	netlink.LinkSetUp(br)
	var procs []*exec.Cmd
	var taps []netlink.Link
	defer func() {
		for _, p := range procs {
			p.Process.Signal(syscall.SIGKILL)
			p.Wait()
		}
		for _, l := range taps {
			netlink.LinkDel(l)
		}
	}()
	start := time.Now()
	for i := range n {
		tap := &netlink.Tuntap{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("floor%d", i), MasterIndex: br.Index},
			Mode: netlink.TUNTAP_MODE_TAP, Flags: netlink.TUNTAP_NO_PI | netlink.TUNTAP_ONE_QUEUE}
		if err := netlink.LinkAdd(tap); err != nil {
			t.Fatalf("add tap: %v", err)
		}
		for _, f := range tap.Fds {
			f.Close() // persistent: the tender attaches by name
		}
		taps = append(taps, tap)
		if err := netlink.LinkSetUp(tap); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(tender, "--mem=32", "--net:service="+tap.Name, "--", image, fmt.Sprintf("--ipv4=10.1.%d.%d/16", (i+2)/256, (i+2)%256))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			t.Fatalf("tender %d printed nothing: %v", i, err)
		}
	}
	fmt.Printf("floor-ns %d\n", time.Since(start).Nanoseconds())
}

// BenchmarkLiveWatchLatency measures, with roost watch running, the time
// from writing a new file that declares a unikernel to its tender running
// (the tender's start time in status.json against the write), 20 times,
// and reports the median.
//
//	go test -tags integration -run '^$' -bench LiveWatchLatency -benchtime 1x ./cmd/roost
func BenchmarkLiveWatchLatency(b *testing.B) {
	for range b.N {
		h := newLiveHost(b)
		h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
		h.write("bridge.hcl", bridgeOnly)
		w := h.watch("-resync", "1h")
		var lat []time.Duration
		for i := range 20 {
			name := fmt.Sprintf("w%d", i)
			written := time.Now()
			h.save(name+".hcl", webUnikernel(name, fmt.Sprintf("192.0.2.%d", 10+i)))
			st := h.waitStatus(name, "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })
			lat = append(lat, st.StartedAt.Sub(written))
			time.Sleep(300 * time.Millisecond) // let the pass end: each write its own pass
		}
		w.stop()
		b.ReportMetric(float64(median(lat).Microseconds())/1000, "write-to-running-ms")
		b.Logf("write to running: %v", lat)
	}
}

// BenchmarkLiveWatchIdle converges 100 unikernels under roost watch, then
// measures watch's CPU time over 60 s of nothing happening (two periodic
// resyncs included) as a share of one core, and its resident memory.
//
//	go test -tags integration -run '^$' -bench LiveWatchIdle -benchtime 1x ./cmd/roost
func BenchmarkLiveWatchIdle(b *testing.B) {
	for range b.N {
		h := newLiveHost(b)
		h.image("u.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
		h.write("main.hcl", fleetConfig(100))
		w := h.watch()
		w.waitFor("100 unikernels", func(e map[string]any) bool { return e["type"] == "pass" && e["result"] == "ok" })
		time.Sleep(2 * time.Second) // the echoes of the first pass
		pid := w.cmd.Process.Pid
		cpu0 := procCPU(b, pid)
		start := time.Now()
		time.Sleep(60 * time.Second)
		used := procCPU(b, pid) - cpu0
		share := float64(used) / float64(time.Since(start)) * 100
		rss := procRSS(b, pid)
		w.stop()
		b.ReportMetric(share, "idle-cpu-%")
		b.ReportMetric(float64(rss)/(1<<20), "rss-MiB")
	}
}

func procCPU(tb testing.TB, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // 100 ticks per second
}

func procRSS(tb testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
