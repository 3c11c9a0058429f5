// Command roost-shim is the per-unikernel supervisor that roost apply
// starts, one per running unikernel: it holds the unikernel's lock, runs
// its tender, records every exit and restarts it per its policy. It is not
// meant to be run by hand. See package platform/shim.
package main

import (
	"os"
	"runtime"

	"github.com/roostd/roost/platform/shim"
)

func main() {
	// A shim's work is one thing at a time; more processors would only
	// give each of a thousand shims more idle threads and caches. (The
	// GOMAXPROCS variable, if set, wins.)
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	os.Exit(shim.Main(os.Args[1:], os.Stdout, os.Stderr))
}
