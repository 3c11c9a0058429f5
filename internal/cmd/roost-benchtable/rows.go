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
	{label: "apply 100 new unikernels", key: "apply100", floor: "floor.apply100", target: "≤ 1.5x floor", ok: within(1.5), relative: true},
	{label: "apply 100, against the shell-out way", key: "apply100", floor: "shell.apply100", target: "≥ 3x faster (ratio ≤ 0.33)", ok: within(1.0 / 3), relative: true},
	{label: "apply 100, against the floor waiting for each tender", key: "apply100", floor: "floorwait.apply100"},
	{label: "destroy the 100", key: "destroy100", floor: "floor.destroy100", target: "≤ 0.3x floor", ok: within(0.3), relative: true},
	{label: "plan, 100 running", key: "plan100"},
	{label: "plan, 1,000 declared and running", key: "plan1000", floor: "floor.plan1000", target: "< 100 ms", ok: under(100)},
	{label: "restart, beyond the 100 ms backoff", key: "restart", target: "≤ 20 ms", ok: atMost(20)},
	{label: "restart: the shim records the exit", key: "restart.notice"},
	{label: "RSS of one shim, alone", key: "shim1.rss", floor: "tender1.rss", target: "< 5 MiB", ok: under(5)},
	{label: "PSS of one shim, alone", key: "shim1.pss", floor: "tender1.pss", target: "< 2 MiB", ok: under(2)},
	{label: "RSS of one shim, 100 running", key: "shim100.rss", floor: "tender100.rss", target: "< 5 MiB", ok: under(5)},
	{label: "PSS of one shim, 100 running", key: "shim100.pss", floor: "tender100.pss", target: "< 2 MiB", ok: under(2)},
	{label: "RSS of one shim, 1,000 running", key: "shim1000.rss", floor: "tender1000.rss", target: "< 5 MiB", ok: under(5)},
	{label: "PSS of one shim, 1,000 running", key: "shim1000.pss", floor: "tender1000.pss", target: "< 2 MiB", ok: under(2)},
	{label: "RSS of roost watch, 1,000 running", key: "watch1000.rss"},
	{label: "PSS of roost watch, 1,000 running", key: "watch1000.pss"},
	{label: "CPU of roost watch, 60 s idle, 1,000 running", key: "watch1000.idlecpu"},
	{label: "watch: file written to tender running", key: "watch.latency"},
}
