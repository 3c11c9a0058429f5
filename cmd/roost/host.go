package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/datadir"
)

// host is what the commands use of the host: what apply needs to run a
// plan (Observe and the changes), the lookups of tenders and of the shim,
// the reads of status, watch and metrics, the data directory's lock, and
// Close. It exists so that the CLI can be tested without root:
// platformHost implements it with platform.Host, and the testscripts use
// an in-memory fake (fakehost_test.go). The files of the data directory
// that are roost's own (applied.json, console.log) are read and written
// through package datadir, not through host.
type host interface {
	apply.Host
	// FindTender looks up the tender for target and ABI version abi.
	FindTender(ctx context.Context, target string, abi uint32) plan.TenderLookup
	// FindShim looks up the roost-shim that starts unikernels.
	FindShim(ctx context.Context) plan.TenderLookup
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
	DBDir   datadir.Dir
	Tenders []string // searched before the data directory and $PATH
	UIDs    [2]int   // unikernel_uids; zero: platform's default
	Log     *slog.Logger
}

// newHostFunc opens the host; globals.newHost holds the one a run uses.
type newHostFunc func(hostOptions) (host, error)

// newPlatformHost opens the real host.
func newPlatformHost(o hostOptions) (host, error) {
	h, err := platform.NewHost(platform.Options{
		DBDir:      o.DBDir,
		TenderDirs: o.Tenders,
		UIDs:       o.UIDs,
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
