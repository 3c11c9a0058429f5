package platform

import (
	"context"
	"time"

	"github.com/roostd/roost/platform/datadir"
)

// Supervisor is supervisor, for the fake of host_test.go.
type Supervisor interface {
	Spawn(ctx context.Context, command []string, dbdir datadir.Dir, name string) (wait func(context.Context) (pid int, err error), err error)
	WaitRunning(ctx context.Context, dbdir datadir.Dir, name string, window time.Duration) error
	Stop(ctx context.Context, dbdir datadir.Dir, name string, timeout time.Duration) error
	Reload(dbdir datadir.Dir, name string) error
	Alive(dbdir datadir.Dir, name string) (alive bool, pid int, err error)
}

// SetSupervisor makes h ask s instead of package shim.
func SetSupervisor(h *Host, s Supervisor) { h.shims = s }
