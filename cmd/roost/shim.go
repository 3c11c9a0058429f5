package main

import (
	"context"
	"errors"
	"os"

	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/shim"
)

// runShim is `roost shim DBDIR NAME`, the per-unikernel supervisor that
// apply starts; it is not meant to be run by hand. Its exit code follows
// shim's contract.
func runShim(ctx context.Context, g *globals, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: roost shim DBDIR NAME (started by roost apply)")
	}
	code := shim.Run(ctx, datadir.Dir(args[0]), args[1], os.Stderr)
	if code != 0 {
		return exitError{code}
	}
	return nil
}
