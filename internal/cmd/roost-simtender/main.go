package main

import (
	"os"
	"runtime"

	"github.com/roostd/roost/internal/simtender"
)

// init keeps the guest on the process's main thread, as solo5-hvt and
// solo5-spt run theirs: what the host's scheduler tells of the tender's
// main thread (its run-queue wait, which apply's verify window reads) is
// then what it tells of the guest.
func init() { runtime.LockOSThread() }

func main() {
	os.Exit(simtender.Main(os.Args, os.Stdout, os.Stderr))
}
