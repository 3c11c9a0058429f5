package shim

import (
	"context"
	"os"
	"testing"

	"github.com/roostd/roost/platform/datadir"
)

// TestMain runs the test binary as a shim when it is started as one, the
// way Start starts `roost shim DBDIR NAME`: tests start real shims with
// Start, flock and signals included, with the test binary as roost.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "shim" {
		os.Exit(Run(context.Background(), datadir.Dir(os.Args[2]), os.Args[3], os.Stderr))
	}
	os.Exit(m.Run())
}
