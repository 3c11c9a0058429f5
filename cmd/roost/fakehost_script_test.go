package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/roostd/roost/plan"
)

// scriptHost opens the host of a roost run by a testscript: the fake,
// unless the script emptied ROOST_FAKEHOST (a [root] script on the real
// host). Setup sets it; the integration tests, which run the same roost
// command, do not.
func scriptHost(o hostOptions) (host, error) {
	if os.Getenv("ROOST_FAKEHOST") != "" {
		return newFakeHost(o)
	}
	return newPlatformHost(o)
}

const fakehostUsage = `usage: fakehost bridge NAME | rm-bridge NAME | rm-tap NAME | kill NAME | exit NAME CODE |
	no-tender TARGET[.ABI] | tenders DIR | sigstop NAME tender|shim | garble-status NAME | crashloop NAME N | fail OPERATION... | ok OPERATION... | host CPUS MEMORY_MIB DISK_MIB |
	traffic TAP RX_BYTES TX_BYTES | show | log | wait REGEXP`

// cmdFakehost seeds and inspects the fake host of $ROOST_DBDIR:
//
//	fakehost bridge br0          a bridge that existed before roost
//	fakehost rm-bridge br0       remove a bridge behind roost's back
//	fakehost rm-tap NAME         remove a tap behind roost's back
//	fakehost kill web            web's shim (and tender) gone, status.json left
//	fakehost exit web 1          web's tender ended for good with code 1
//	fakehost no-tender hvt       no tender for hvt (or hvt.2: that ABI only)
//	fakehost sigstop web tender  web's tender (or shim) is stopped (SIGSTOP)
//	fakehost garble-status web   web's status.json is garbage, its shim alive
//	fakehost crashloop web 5     web's tender restarted 5 times, exiting 1
//	fakehost tenders DIR         real tender binaries in DIR, run for --version
//	fakehost fail start web      the operation "start web" fails
//	fakehost ok start web        ... and succeeds again
//	fakehost host 0-3 1024 500   the host has CPUs 0 to 3, 1024 MiB, 500 MiB free
//	fakehost traffic TAP RX TX   a tap's byte counters
//	fakehost show                print the state, sorted, without pids or times
//	fakehost log                 print the transcript of operations
//	fakehost wait REGEXP         wait up to 20s for show and log to match
//
// The changes count as drift for a roost watch running on the fake.
func cmdFakehost(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("%s", fakehostUsage)
	}
	if neg && args[0] != "wait" {
		ts.Fatalf("unsupported: ! fakehost %s", args[0])
	}
	path := fakeStatePath(ts.Getenv("ROOST_DBDIR"))
	load := func() *fakeState {
		st, err := loadFakeState(path)
		ts.Check(err)
		return st
	}
	change := func(f func(st *fakeState)) {
		st := load()
		f(st)
		st.Seeded++
		ts.Check(st.save(path))
	}
	nargs := func(n int) {
		if len(args) != n+1 {
			ts.Fatalf("%s", fakehostUsage)
		}
	}
	unikernel := func(st *fakeState, name string) plan.ObservedUnikernel {
		u, ok := st.Unikernels[name]
		if !ok || u.Status == nil {
			ts.Fatalf("fakehost: no unikernel %q with a status", name)
		}
		s := *u.Status
		u.Status = &s
		return u
	}
	switch args[0] {
	case "bridge":
		nargs(1)
		change(func(st *fakeState) {
			st.Bridges[args[1]] = plan.ObservedBridge{Name: args[1], MTU: 1500, Up: true}
		})
	case "rm-bridge":
		nargs(1)
		change(func(st *fakeState) { delete(st.Bridges, args[1]) })
	case "rm-tap":
		nargs(1)
		change(func(st *fakeState) { delete(st.Taps, args[1]) })
	case "kill":
		nargs(1)
		change(func(st *fakeState) {
			u := unikernel(st, args[1])
			u.ShimAlive, u.TenderAlive = false, false
			st.Unikernels[args[1]] = u
		})
	case "exit":
		nargs(2)
		code, err := strconv.Atoi(args[2])
		ts.Check(err)
		change(func(st *fakeState) {
			u := unikernel(st, args[1])
			u.ShimAlive, u.TenderAlive = false, false
			u.Status.State = plan.StateFailed
			if code == 0 {
				u.Status.State = plan.StateExited
			}
			u.Status.TenderPID, u.Status.TenderStart = 0, 0
			u.Status.LastExit = &plan.Exit{Code: &code, At: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
			st.Unikernels[args[1]] = u
		})
	case "sigstop":
		nargs(2)
		change(func(st *fakeState) {
			u := unikernel(st, args[1])
			switch args[2] {
			case "tender":
				u.TenderProcState = "T"
			case "shim":
				u.ShimPID, u.ShimProcState = u.Status.ShimPID, "T"
			default:
				ts.Fatalf("%s", fakehostUsage)
			}
			st.Unikernels[args[1]] = u
		})
	case "garble-status":
		nargs(1)
		change(func(st *fakeState) {
			u := unikernel(st, args[1])
			u.ShimPID = u.Status.ShimPID
			u.Status, u.TenderAlive = nil, false
			u.StatusProblem = "invalid character 'x' looking for beginning of value"
			u.Problem = "status.json: " + u.StatusProblem
			st.Unikernels[args[1]] = u
		})
	case "crashloop":
		nargs(2)
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		change(func(st *fakeState) {
			u := unikernel(st, args[1])
			code := 1
			u.TenderAlive = false
			u.Status.State, u.Status.Restarts, u.Status.TenderPID = plan.StateBackoff, n, 0
			u.Status.LastExit = &plan.Exit{Code: &code, At: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
			st.Unikernels[args[1]] = u
		})
	case "no-tender":
		nargs(1)
		change(func(st *fakeState) { st.NoTender[args[1]] = true })
	case "tenders":
		nargs(1)
		change(func(st *fakeState) { st.TenderDir = ts.MkAbs(args[1]) })
	case "fail":
		if len(args) < 2 {
			ts.Fatalf("%s", fakehostUsage)
		}
		op := strings.Join(args[1:], " ")
		change(func(st *fakeState) { st.Fail[op] = "injected failure of " + op })
	case "ok":
		if len(args) < 2 {
			ts.Fatalf("%s", fakehostUsage)
		}
		change(func(st *fakeState) { delete(st.Fail, strings.Join(args[1:], " ")) })
	case "host":
		nargs(3)
		lo, hi, ok := strings.Cut(args[1], "-")
		first, err := strconv.Atoi(lo)
		ts.Check(err)
		last := first
		if ok {
			last, err = strconv.Atoi(hi)
			ts.Check(err)
		}
		mem, err := strconv.ParseInt(args[2], 10, 64)
		ts.Check(err)
		disk, err := strconv.ParseInt(args[3], 10, 64)
		ts.Check(err)
		change(func(st *fakeState) {
			st.Host.CPUs = nil
			for c := first; c <= last; c++ {
				st.Host.CPUs = append(st.Host.CPUs, c)
			}
			st.Host.MemoryMiB, st.Host.DiskFreeBytes = mem, int64(disk)<<20
		})
	case "traffic":
		nargs(3)
		rx, err := strconv.ParseUint(args[2], 10, 64)
		ts.Check(err)
		tx, err := strconv.ParseUint(args[3], 10, 64)
		ts.Check(err)
		change(func(st *fakeState) {
			s := st.TapStats[args[1]]
			s.RxBytes, s.TxBytes, s.RxPackets, s.TxPackets = rx, tx, rx/100, tx/100
			st.TapStats[args[1]] = s
		})
	case "show":
		nargs(0)
		fmt.Fprint(ts.Stdout(), load().show())
	case "log":
		nargs(0)
		for _, l := range load().Log {
			fmt.Fprintln(ts.Stdout(), l)
		}
	case "wait":
		nargs(1)
		re, err := regexp.Compile("(?m)" + args[1])
		ts.Check(err)
		waitFake(ts, neg, re, load)
	default:
		ts.Fatalf("%s", fakehostUsage)
	}
}

// waitFake waits until the fake's state and transcript match re (or, with
// neg, stay unmatched for a second), polling for at most 20 seconds.
func waitFake(ts *testscript.TestScript, neg bool, re *regexp.Regexp, load func() *fakeState) {
	deadline := time.Now().Add(20 * time.Second)
	if neg {
		deadline = time.Now().Add(time.Second)
	}
	var text string
	for {
		st := load()
		text = st.show() + strings.Join(st.Log, "\n") + "\n"
		if re.MatchString(text) {
			if neg {
				ts.Fatalf("fakehost: %q matched:\n%s", re, text)
			}
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !neg {
		ts.Fatalf("fakehost: no match for %q within 20s in:\n%s", re, text)
	}
}

// durations are what a step's line says it took: "in 7ms".
var durations = regexp.MustCompile(`\bin \d+(\.\d+)?(ns|µs|ms|s)\b`)

// cmdMask prints the previous command's stdout with the durations of
// steps written "in Nms", so that cmp can compare the rest exactly:
//
//	exec roost apply -auto-approve
//	mask
//	cmp stdout want.txt
func cmdMask(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: mask")
	}
	fmt.Fprint(ts.Stdout(), durations.ReplaceAllString(ts.ReadFile("stdout"), "in Nms"))
}
