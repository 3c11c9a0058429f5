//go:build integration && linux

package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/roostd/roost/platform/datadir"
)

// BenchmarkLiveWatchLatency measures, with roost watch running, the time
// from writing a new file that declares a unikernel to its tender running
// (the tender's start time in status.json against the write), 4 times per
// iteration, and reports the median. Its floor is no measurement: watch
// waits for 200 ms of quiet before it plans (DESIGN.md).
//
//	go test -tags integration -run '^$' -bench LiveWatchLatency -benchtime 1x ./cmd/roost
func BenchmarkLiveWatchLatency(b *testing.B) {
	h := newBenchHost(b)
	h.image("web.hvt", serveImage)
	h.write("bridge.hcl", bridgeOnly)
	w := h.watch("-resync", "1h")
	var lat []float64
	i := 0
	for b.Loop() {
		for range 4 {
			name := fmt.Sprintf("w%d", i)
			written := time.Now()
			h.save(name+".hcl", webUnikernel(name, fmt.Sprintf("192.0.2.%d", 10+i%200)))
			st := h.waitStatus(name, "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })
			lat = append(lat, ms(st.StartedAt.Sub(written)))
			time.Sleep(300 * time.Millisecond) // let the pass end: each write its own pass
			i++
		}
	}
	w.stop()
	record(b, "watch.latency", "roost watch: a new file written to its tender running", "ms", lat)
}
