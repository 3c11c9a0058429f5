package shim

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// runqueueWait returns how long the main thread of process pid has waited
// on a run queue for a CPU since it began: the second field of
// /proc/PID/schedstat (CONFIG_SCHED_INFO). Solo5's tenders run their
// guest there (hvt its vCPU loop, spt the guest itself; the simulated
// tender too). ok is false when the kernel does not say, or pid is gone.
func runqueueWait(pid int) (wait time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/schedstat")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || ns < 0 {
		return 0, false
	}
	return time.Duration(ns), true
}
