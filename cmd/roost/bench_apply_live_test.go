//go:build integration && linux

package main

import (
	"testing"
	"time"
)

// BenchmarkLiveApply100 measures, in one run and on one namespace, each
// iteration in this order:
//
//   - the floor of apply and destroy (TestBenchHelper floor): a bridge, a
//     netlink tap and a fork/exec of the same tender per unikernel, 100 in
//     a row, no supervision, no wait; then, once every tender runs, SIGTERM,
//     wait and tap deletion one by one;
//   - the same floor waiting for each tender's first console line;
//   - the shell-out way: ip tuntap add, ip link set up, ip link set master
//     and taskset per unikernel;
//   - roost apply of 100 unikernels with a tap each on one bridge; then the
//     median RSS and PSS of the 100 shims and of their tenders, roost plan
//     with the 100 running, and roost destroy.
//
// Each figure is the median over the iterations (-benchtime 5x: five).
// The unikernels run the simulated tender, or a real one (newFleet).
//
//	go test -tags integration -run '^$' -bench LiveApply100 -benchtime 5x ./cmd/roost
func BenchmarkLiveApply100(b *testing.B) {
	const n = 100
	h := newBenchHost(b)
	f := newFleet(h)
	h.write("main.hcl", f.config(n))
	floorEnv := f.helperEnv(h, n)
	var floor, teardown, floorWait, shell, apply, plan, destroy []float64
	var shimRSS, shimPSS, tenderRSS, tenderPSS []float64
	for b.Loop() {
		f := h.helper("floor", append(floorEnv, "ROOST_BENCH_TEARDOWN=1")...)
		floor, teardown = append(floor, ms(f["start"])), append(teardown, ms(f["teardown"]))
		floorWait = append(floorWait, ms(h.helper("floor", append(floorEnv, "ROOST_BENCH_WAIT=1")...)["start"]))
		shell = append(shell, ms(h.helper("shell", floorEnv...)["start"]))

		apply = append(apply, h.timed("apply", "-auto-approve"))
		time.Sleep(time.Second) // untimed: the shims settle before their memory is read
		s, t := h.fleetMemory()
		shimRSS, shimPSS = append(shimRSS, s.rss), append(shimPSS, s.pss)
		tenderRSS, tenderPSS = append(tenderRSS, t.rss), append(tenderPSS, t.pss)
		plan = append(plan, h.timed("plan", "-detailed-exitcode"))
		destroy = append(destroy, h.timed("destroy", "-auto-approve"))
	}
	record(b, "apply100", "roost apply, 100 new unikernels", "ms", apply)
	record(b, "floor.apply100", "floor: netlink tap + fork/exec, 100 in a row, no wait", "ms", floor)
	record(b, "floorwait.apply100", "floor, waiting for each tender's first console line", "ms", floorWait)
	record(b, "shell.apply100", "shell-out: ip tuntap add, ip link set up, ip link set master, taskset, per unikernel", "ms", shell)
	record(b, "destroy100", "roost destroy, the same 100", "ms", destroy)
	record(b, "floor.destroy100", "floor: SIGTERM, wait, delete tap (netlink), one by one", "ms", teardown)
	record(b, "plan100", "roost plan, 100 running", "ms", plan)
	record(b, "shim100.rss", "RSS of one shim, median of 100 running", "MiB", shimRSS)
	record(b, "shim100.pss", "PSS of one shim, median of 100 running", "MiB", shimPSS)
	record(b, "tender100.rss", "RSS of one simulated tender, median of 100", "MiB", tenderRSS)
	record(b, "tender100.pss", "PSS of one simulated tender, median of 100", "MiB", tenderPSS)
}
