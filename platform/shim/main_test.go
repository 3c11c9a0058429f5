package shim

import (
	"os"
	"testing"
)

// TestMain runs the test binary as roost-shim when it is started as
// `TESTBIN shim ARGS...` (roostCommand): tests start real shims with
// Start, flock, signals and notifications included.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "shim" {
		os.Exit(Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
