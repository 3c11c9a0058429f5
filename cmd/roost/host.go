package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/shim"
)

// host is what the commands use of the host: what apply needs to run a
// plan (Observe, FindTender and the changes), the reads of status, watch
// and metrics, the data directory's lock, and Close. It exists so that the
// CLI can be tested without root: platformHost implements it with
// platform.Host, and the testscripts use an in-memory fake
// (fakehost_test.go). The files of the data directory that are roost's own
// (applied.json, console.log) are read and written through platform's
// data directory helpers, as before, not through host.
type host interface {
	apply.Host
	// TapStats returns the counters of the tap name.
	TapStats(name string) (platform.TapStats, error)
	// ProcessStats returns the resource use of the tender with pid.
	ProcessStats(pid int) (platform.ProcStats, error)
	// WatchDrift sends host drift to out until ctx ends; see
	// platform.Host.WatchDrift.
	WatchDrift(ctx context.Context, out chan<- platform.Drift) (refresh func(), err error)
	// Lock takes the data directory's lock (which must exist); see
	// platform.Lock.
	Lock(ctx context.Context, exclusive bool, timeout time.Duration) (release func(), err error)
	Close() error
}

// hostOptions are what a command knows when it opens the host.
type hostOptions struct {
	DBDir   platform.DBDir
	Tenders []string // searched before the data directory and $PATH
	Log     *slog.Logger
}

// newHostFunc opens the host; globals.newHost holds the one a run uses.
type newHostFunc func(hostOptions) (host, error)

// newPlatformHost opens the real host: platform.Host with the shims of
// package platform/shim.
func newPlatformHost(o hostOptions) (host, error) {
	cmd, err := shimCommand()
	if err != nil {
		return nil, err
	}
	h, err := platform.NewHost(platform.Options{
		DBDir:       o.DBDir,
		ShimCommand: cmd,
		Shims: platform.Shims{Spawn: shim.Spawn, WaitRunning: shim.WaitRunning,
			Stop: shim.Stop, Reload: shim.Reload, Alive: shim.Alive},
		TenderDirs: o.Tenders,
		Log:        o.Log,
	})
	if err != nil {
		return nil, err
	}
	return platformHost{h}, nil
}

// platformHost is a platform.Host with the package functions of platform
// that the commands use as methods.
type platformHost struct{ *platform.Host }

func (h platformHost) ProcessStats(pid int) (platform.ProcStats, error) {
	return platform.ProcessStats(pid)
}

func (h platformHost) Lock(ctx context.Context, exclusive bool, timeout time.Duration) (func(), error) {
	return platform.Lock(ctx, h.DBDir(), exclusive, timeout)
}
