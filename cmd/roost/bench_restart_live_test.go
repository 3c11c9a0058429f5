//go:build integration && linux

package main

import (
	"testing"
	"time"

	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

// restartBackoff is the backoff of BenchmarkLiveRestart's unikernel, also
// its max_backoff, so that every restart waits the same.
const restartBackoff = 100 * time.Millisecond

// BenchmarkLiveRestart measures how late a crashed tender is started
// again, beyond its configured backoff. One unikernel (no devices) whose
// guest exits 3 after 400 ms runs under restart policy always, backoff and
// max_backoff 100ms. Each iteration watches the running tender's pid with
// a pidfd from this process: the moment the pidfd becomes readable, or the
// shim's last_exit.at if that is earlier, is the tender's death. The next tender's start is status.json's started_at,
// which the shim takes right after fork/exec returned. The figure is start
// minus death minus the backoff; beside it, how long the shim took to
// record the exit (last_exit.at minus death). It also measures the lone
// shim's RSS and PSS (the only roost process on the host) and its tender's.
//
//	go test -tags integration -run '^$' -bench LiveRestart -benchtime 5x ./cmd/roost
func BenchmarkLiveRestart(b *testing.B) {
	h := newBenchHost(b)
	h.image("crash.hvt", solo5test.Spec{Behaviour: "sleep 400ms; exit 3"})
	h.write("main.hcl", `unikernel "crash" {
  image = "crash.hvt"
  restart {
    policy      = "always"
    backoff     = "`+restartBackoff.String()+`"
    max_backoff = "`+restartBackoff.String()+`"
  }
}
`)
	h.timed("apply", "-auto-approve")
	running := func(s datadir.Status) bool { return s.State == datadir.StateRunning }
	st := h.waitStatus("crash", "running", running)
	var over, notice, shimRSS, shimPSS, tenderRSS, tenderPSS []float64
	for b.Loop() {
		pid := st.TenderPID
		if s, err := procMemory(st.ShimPID); err == nil {
			shimRSS, shimPSS = append(shimRSS, s.rss), append(shimPSS, s.pss)
		}
		if t, err := procMemory(pid); err == nil {
			tenderRSS, tenderPSS = append(tenderRSS, t.rss), append(tenderPSS, t.pss)
		}
		died := waitExit(b, pid)
		next := h.waitStatus("crash", "a restart", func(s datadir.Status) bool { return running(s) && s.TenderPID != pid })
		if next.LastExit == nil {
			b.Fatalf("restarted without a last exit: %+v", next)
		}
		notice = append(notice, ms(next.LastExit.At.Sub(died)))
		if next.LastExit.At.Before(died) {
			died = next.LastExit.At // the shim woke before this process did
		}
		over = append(over, ms(next.StartedAt.Sub(died)-restartBackoff))
		st = next
	}
	record(b, "restart", "restart: next tender's start minus the tender's death minus the 100 ms backoff", "ms", over)
	record(b, "restart.notice", "the shim's last_exit.at minus when this process's pidfd saw the death", "ms", notice)
	record(b, "shim1.rss", "RSS of one shim, alone on the host", "MiB", shimRSS)
	record(b, "shim1.pss", "PSS of one shim, alone on the host", "MiB", shimPSS)
	record(b, "tender1.rss", "RSS of its simulated tender", "MiB", tenderRSS)
	record(b, "tender1.pss", "PSS of its simulated tender", "MiB", tenderPSS)
}

// waitExit waits for process pid (not a child of this one) to end, by a
// pidfd, and returns when it did.
func waitExit(tb testing.TB, pid int) time.Time {
	tb.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		tb.Fatalf("pidfd of tender %d: %v", pid, err)
	}
	defer unix.Close(fd)
	for {
		_, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 30_000)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			tb.Fatalf("poll pidfd of tender %d: %v", pid, err)
		}
		return time.Now()
	}
}
