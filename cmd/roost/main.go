// Command roost keeps a host's Solo5 unikernels, bridges and block devices
// equal to the HCL files of a directory. See the README.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
)

// startProfile writes a CPU profile of this run to $ROOST_CPUPROFILE, if
// set: for finding where roost spends its time (go tool pprof).
func startProfile() func() {
	path := os.Getenv("ROOST_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "roost: cpu profile: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "roost: cpu profile: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func main() {
	// A command runs for a moment and then exits: it trades memory for
	// time, collecting garbage when the heap has grown ninefold, not
	// twofold (a plan of 1,000 unikernels spent a fifth of its CPU in the
	// collector at 100; at 800 it collects once or not at all, and ran 6 %
	// faster than at 400, its heap under 80 MB). watch, which runs for
	// good, sets it back. GOGC, when set, wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(shortLivedGC)
	}
	os.Exit(run(newPlatformHost))
}

// shortLivedGC is the GC percent of the commands that exit when done.
const shortLivedGC = 800

// run is roost as a process on the host that newHost opens: os.Args, the
// standard streams, and SIGINT and SIGTERM ending the context. Tests that
// stand in for the roost binary call it too, with a fake host.
//
// The first SIGINT or SIGTERM cancels the context, which every command
// observes (subprocesses are killed with their group, apply finishes its
// step). The handlers are then removed, so that a second signal ends roost
// at once, as the default action does, whatever it is waiting for (issue
// 8, finding 8: validate once ignored both signals for good).
func run(newHost newHostFunc) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	stopProfile := startProfile()
	defer stopProfile()
	return mainHost(ctx, newHost, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}
