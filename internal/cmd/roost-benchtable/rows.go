package main

// row is one line of the table: a figure, the floor it is measured
// against (none when floor is ""), and a target, if the issue sets one.
type row struct {
	label  string
	key    string // the figure's key in the benchmarks' JSON lines
	floor  string // the floor's key, or ""
	target string // what the issue asks, for people; "" for none
	// ok says whether figure v meets the target; f is the floor's median,
	// which relative targets compare it with. Nil means no target.
	ok       func(v, f float64) bool
	relative bool
	about    string // what the row measures, for BENCH.md
}

// within returns a relative target: the figure at most k times its floor.
func within(k float64) func(v, f float64) bool {
	return func(v, f float64) bool { return v <= k*f }
}

// under returns an absolute target: the figure below limit.
func under(limit float64) func(v, f float64) bool {
	return func(v, _ float64) bool { return v < limit }
}

// atMost returns an absolute target: the figure at most limit.
func atMost(limit float64) func(v, f float64) bool {
	return func(v, _ float64) bool { return v <= limit }
}

// rows are the table's lines, in order. The targets are issue 9's.
var rows = []row{
	{label: "apply 100 new unikernels", key: "apply100", floor: "floor.apply100", target: "≤ 1.5x floor", ok: within(1.5), relative: true, about: "BenchmarkLiveApply100: `roost apply -auto-approve` of 100 new unikernels (simulated tender, 8 MiB, one tap each on one bridge, default -parallelism), from fork to exit, timed inside the namespace. Floor: one process creates the bridge, then per unikernel a tap over netlink (persistent, up, on the bridge) and a fork/exec of the same tender, 100 in a row, no supervision, no wait."},
	{label: "apply 100, against the shell-out way", key: "apply100", floor: "shell.apply100", target: "≥ 3x faster (ratio ≤ 0.33)", ok: within(1.0 / 3), relative: true, about: "The same apply against the shell-out way: the bridge with `ip link add`, then per unikernel `ip tuntap add`, `ip link set up`, `ip link set master` and `taskset -c N` starting the tender (not waited for). The target asks the ratio to be at most 1/3."},
	{label: "apply 100, against the floor waiting for each tender", key: "apply100", floor: "floorwait.apply100", about: "The same apply against the floor that also waits for each tender's first console line before the next: what roost's verify window is closer to. No target."},
	{label: "destroy the 100", key: "destroy100", floor: "floor.destroy100", target: "≤ 0.3x floor", ok: within(0.3), relative: true, about: "`roost destroy -auto-approve` of the 100 (shims stop their tenders, taps and bridge deleted). Floor: once every floor tender has printed, SIGTERM each tender's group, wait for it, delete its tap over netlink, one by one, then the bridge."},
	{label: "plan, 100 running", key: "plan100", about: "`roost plan -detailed-exitcode` with the 100 running (exit 0: no changes), after each apply. No floor."},
	{label: "plan, 1,000 declared and running", key: "plan1000", floor: "floor.plan1000", target: "< 100 ms", ok: under(100), about: "BenchmarkLiveFleet1000: `roost plan -detailed-exitcode` with 1,000 declared and running (started once, untimed). Floor, alternating with it: walk the data directory, read and decode every spec.json and status.json, and one netlink link dump, in a process already running. The target is absolute."},
	{label: "restart, beyond the 100 ms backoff", key: "restart", target: "≤ 20 ms", ok: atMost(20), about: "BenchmarkLiveRestart: one unikernel whose guest exits 3 after 400 ms, restart policy always, backoff = max_backoff = 100ms. From the tender's death (a pidfd on it in the benchmark, or the shim's last_exit.at if earlier) to the next tender's start (status.json started_at, taken right after fork/exec), minus the 100 ms."},
	{label: "restart: the shim records the exit", key: "restart.notice", about: "The shim's last_exit.at minus the moment the benchmark's own pidfd on the tender became readable: how promptly the shim sees a death, relative to a process blocked in poll on it (negative: the shim was first)."},
	{label: "RSS of one shim, alone", key: "shim1.rss", floor: "tender1.rss", target: "< 5 MiB", ok: under(5), about: "Rss from /proc/PID/smaps_rollup of the restart benchmark's shim, the only shim on the host, sampled once per restart; beside it its tender's."},
	{label: "PSS of one shim, alone", key: "shim1.pss", floor: "tender1.pss", target: "< 2 MiB", ok: under(2), about: "Pss of the same; alone, a shim shares its pages with no other process, so PSS is about RSS."},
	{label: "RSS of one shim, 100 running", key: "shim100.rss", floor: "tender100.rss", target: "< 5 MiB", ok: under(5), about: "Median Rss over the 100 shims right after each apply (1 s settling); beside it the median of their tenders."},
	{label: "PSS of one shim, 100 running", key: "shim100.pss", floor: "tender100.pss", target: "< 2 MiB", ok: under(2), about: "Median Pss over the same 100 shims: pages of the roost-shim binary and libraries are shared 100 ways."},
	{label: "RSS of one shim, 1,000 running", key: "shim1000.rss", floor: "tender1000.rss", target: "< 5 MiB", ok: under(5), about: "Median Rss over the 1,000 shims of the fleet benchmark, once."},
	{label: "PSS of one shim, 1,000 running", key: "shim1000.pss", floor: "tender1000.pss", target: "< 2 MiB", ok: under(2), about: "Median Pss over the same 1,000 shims, once."},
	{label: "image memory per unikernel, 10 MiB image", key: "image.shmem", about: "BenchmarkLiveImageMemory: 20 unikernels of one 10 MiB image, each tender under a user of its own: the growth of the host's Shmem (/proc/meminfo) from before the apply to when all run, per unikernel. A tender handed a copy of its image (a sealed memfd, held for its life) costs the image's size; one that reads the stored file, which the page cache holds once, costs nothing here. No target in issue 9."},
	{label: "RSS of roost watch, 1,000 running", key: "watch1000.rss", about: "Rss of `roost watch -json` over the 1,000, once its pass found nothing to do: sampled every 12 s over the idle minute (6 samples)."},
	{label: "PSS of roost watch, 1,000 running", key: "watch1000.pss", about: "Pss of the same watch, same samples."},
	{label: "CPU of roost watch, 60 s idle, 1,000 running", key: "watch1000.idlecpu", about: "utime+stime of the watch process (/proc/PID/stat) over 60 s of nothing happening (two periodic 30 s resyncs included), as a share of one core, with 1,000 unikernels running. One window."},
	{label: "watch: file written to tender running", key: "watch.latency", about: "BenchmarkLiveWatchLatency: with `roost watch -resync 1h` running, from writing a new file declaring a unikernel to its tender's start (status.json started_at); 4 per iteration. It includes watch's 200 ms debounce; no floor measured."},
}
