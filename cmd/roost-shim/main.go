// Command roost-shim is the per-unikernel supervisor that roost apply
// starts, one per running unikernel: it holds the unikernel's lock, runs
// its tender, records every exit and restarts it per its policy. It is not
// meant to be run by hand. See package platform/shim.
package main

import (
	"os"

	"github.com/roostd/roost/platform/shim"
)

func main() { os.Exit(shim.Main(os.Args[1:], os.Stdout, os.Stderr)) }
