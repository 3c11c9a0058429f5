package platform

import (
	"context"
	"time"

	"github.com/roostd/roost/platform/datadir"
)

// Supervisor is supervisor, for the fake of host_test.go.
type Supervisor interface {
	Spawn(ctx context.Context, command []string, dbdir datadir.Dir, name string) (StartedShim, error)
	WaitRunning(ctx context.Context, dbdir datadir.Dir, name string, window time.Duration) error
	Stop(ctx context.Context, dbdir datadir.Dir, name string, timeout time.Duration) error
	Reload(dbdir datadir.Dir, name string) error
	Alive(u *datadir.Subdir) (alive bool, pid int, err error)
}

// StartedShim is startedShim, for the fake.
type StartedShim = startedShim

// SetSupervisor makes h ask s instead of package shim.
func SetSupervisor(h *Host, s Supervisor) { h.shims = s }
