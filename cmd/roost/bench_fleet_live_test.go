//go:build integration && linux

package main

import (
	"testing"
	"time"
)

// BenchmarkLiveFleet1000 starts 1,000 unikernels (simulated tender, a tap
// each on one bridge) once, untimed, then measures:
//
//   - roost plan with the 1,000 declared and running, against its floor
//     (TestBenchHelper read: walk the data directory, read and decode every
//     spec.json and status.json, one netlink link dump), alternating, once
//     per iteration (-benchtime 5x: five of each);
//   - the median RSS and PSS of the 1,000 shims and of their tenders;
//   - roost watch over the same 1,000, once its first pass found nothing to
//     do: its RSS and PSS, sampled every 12 s, and its CPU time
//     (utime+stime) over 60 s of nothing happening, two periodic resyncs
//     included, as a share of one core.
//
// Starting 1,000 takes a while, so it happens once per benchmark.
//
//	go test -tags integration -run '^$' -bench LiveFleet1000 -benchtime 5x -timeout 30m ./cmd/roost
func BenchmarkLiveFleet1000(b *testing.B) {
	const n = 1000
	h := newBenchHost(b)
	h.image("u.hvt", serveImage)
	h.write("main.hcl", fleetConfig(n))
	start := time.Now()
	h.timed("apply", "-auto-approve", "-parallelism", "50")
	b.Logf("untimed setup: apply of %d took %v", n, time.Since(start))

	var plans, reads []float64
	for b.Loop() {
		plans = append(plans, h.timed("plan", "-detailed-exitcode"))
		reads = append(reads, ms(h.helper("read")["read"]))
	}
	record(b, "plan1000", "roost plan, 1,000 declared and running", "ms", plans)
	record(b, "floor.plan1000", "floor: walk the dbdir, read and decode every spec.json and status.json, one netlink link dump", "ms", reads)

	s, t := h.fleetMemory()
	record(b, "shim1000.rss", "RSS of one shim, median of 1,000 running", "MiB", []float64{s.rss})
	record(b, "shim1000.pss", "PSS of one shim, median of 1,000 running", "MiB", []float64{s.pss})
	record(b, "tender1000.rss", "RSS of one simulated tender, median of 1,000", "MiB", []float64{t.rss})
	record(b, "tender1000.pss", "PSS of one simulated tender, median of 1,000", "MiB", []float64{t.pss})

	w := h.watch()
	w.waitFor("a pass that found the 1,000 converged", func(e map[string]any) bool {
		return e["type"] == "pass" && (e["result"] == "noop" || e["result"] == "ok")
	})
	time.Sleep(2 * time.Second) // the echoes of the first pass
	pid := w.cmd.Process.Pid
	var rss, pss []float64
	sample := func() {
		m, err := procMemory(pid)
		if err != nil {
			b.Fatal(err)
		}
		rss, pss = append(rss, m.rss), append(pss, m.pss)
	}
	cpu0, t0 := procCPU(b, pid), time.Now()
	sample()
	for range 5 {
		time.Sleep(12 * time.Second)
		sample()
	}
	share := float64(procCPU(b, pid)-cpu0) / float64(time.Since(t0)) * 100
	if err := w.stop(); err != nil {
		b.Errorf("watch: %v", err)
	}
	record(b, "watch1000.rss", "RSS of roost watch over 1,000 running, sampled every 12 s", "MiB", rss)
	record(b, "watch1000.pss", "PSS of roost watch over 1,000 running, sampled every 12 s", "MiB", pss)
	record(b, "watch1000.idlecpu", "CPU of roost watch over 60 s idle, 1,000 running (utime+stime, share of one core)", "%", []float64{share})
}
