package platform

import (
	"context"
	"time"

	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/shim"
)

// supervisor is what a Host asks of the shims: start one, wait for its
// tender, stop it, have it reload its spec, and tell whether one lives.
// A Host uses package shim (shimPackage); the interface exists only so
// that host_test.go can record the calls with a fake.
type supervisor interface {
	Spawn(ctx context.Context, command []string, dbdir datadir.Dir, name string) (startedShim, error)
	WaitRunning(ctx context.Context, dbdir datadir.Dir, name string, window time.Duration) error
	Stop(ctx context.Context, dbdir datadir.Dir, name string, timeout time.Duration) error
	Reload(dbdir datadir.Dir, name string) error
	// Alive probes the shim lock of the unikernel directory u.
	Alive(u *datadir.Subdir) (alive bool, pid int, err error)
}

// startedShim is a shim that Spawn started (*shim.Started): Wait until it
// holds its lock, Verify that its tender stays up, Close to stop
// listening to it.
type startedShim interface {
	Wait(ctx context.Context) (pid int, err error)
	Verify(ctx context.Context, window time.Duration) error
	Close()
}

// shimPackage is the supervisor of package shim.
type shimPackage struct{}

func (shimPackage) Spawn(ctx context.Context, command []string, dbdir datadir.Dir, name string) (startedShim, error) {
	st, err := shim.Spawn(ctx, command, dbdir, name)
	if err != nil {
		return nil, err
	}
	return st, nil
}

func (shimPackage) WaitRunning(ctx context.Context, dbdir datadir.Dir, name string, window time.Duration) error {
	return shim.WaitRunning(ctx, dbdir, name, window)
}

func (shimPackage) Stop(ctx context.Context, dbdir datadir.Dir, name string, timeout time.Duration) error {
	return shim.Stop(ctx, dbdir, name, timeout)
}

func (shimPackage) Reload(dbdir datadir.Dir, name string) error { return shim.Reload(dbdir, name) }

func (shimPackage) Alive(u *datadir.Subdir) (bool, int, error) { return shim.AliveIn(u) }
