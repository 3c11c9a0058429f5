package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/shim"
)

// removeStale removes the temporary files that a writer killed mid-write
// left in the data directory (issue 8, finding 12: after a SIGKILL of
// apply, .tmp-applied.json.N and unikernels/NAME/.tmp-spec.json.N stayed
// for good). It runs at the end of apply, under the data directory's lock,
// so every temporary of apply's own is stale: those of applied.json, of
// spec.json and of blocks. A shim's (status.json's) are stale only when
// no shim holds that unikernel's lock. Images' temporaries go with
// PruneImages. It removes nothing but regular files named as roost names
// its temporaries, through descriptors of directories reached beneath
// dbdir without links; what it cannot remove stays, for the next apply.
func removeStale(dbdir datadir.Dir) {
	removeTemps(dbdir, string(dbdir), func(name string) bool {
		return strings.HasPrefix(name, datadir.TempPrefix+"applied.json") || strings.HasPrefix(name, ".applied.json")
	})
	removeTemps(dbdir, dbdir.BlockDir(), func(name string) bool {
		return strings.Contains(name, ".tmp")
	})
	ents, _ := dbdir.ReadDir(dbdir.UnikernelsDir())
	for _, e := range ents {
		if datadir.Hidden(e.Name()) || !e.IsDir() {
			continue
		}
		alive, _, err := shim.Alive(dbdir, e.Name())
		shimGone := err == nil && !alive
		removeTemps(dbdir, dbdir.Unikernel(e.Name()), func(name string) bool {
			mine := strings.HasPrefix(name, datadir.TempPrefix+"spec.json") || strings.HasPrefix(name, ".spec.json")
			return mine || shimGone && strings.HasPrefix(name, datadir.TempPrefix)
		})
	}
}

// removeTemps removes the hidden regular files of dir that stale accepts.
func removeTemps(dbdir datadir.Dir, dir string, stale func(name string) bool) {
	d, err := dbdir.Open(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return // missing, or not to be followed: nothing of ours
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !datadir.Hidden(e.Name()) || !e.Type().IsRegular() || !stale(e.Name()) {
			continue
		}
		unix.Unlinkat(int(d.Fd()), e.Name(), 0) // what stays goes next time
	}
}

// settleTimeout bounds settleShims: a shim takes its lock and reports its
// tender within milliseconds, unless it is stuck, which plan then shows.
const settleTimeout = 10 * time.Second

// settleShims waits for the shims that hold their lock but have not yet
// reported a tender (no status.json of their own, or "starting"): shims
// that an apply killed after spawning them left starting, with nobody
// waiting for them. Planned meanwhile, such a unikernel looks never
// started, or as if its shim had not loaded spec.json, and the start or
// in-place update that follows fails on the live shim or verifies nothing
// (found by TestLiveCrashApply). It runs under the data directory's lock,
// before the plan, and gives up after settleTimeout; what it could not
// settle is planned as it is.
func settleShims(ctx context.Context, dbdir datadir.Dir) {
	ents, _ := dbdir.ReadDir(dbdir.UnikernelsDir())
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, e := range ents {
		if datadir.Hidden(e.Name()) || !e.IsDir() {
			continue
		}
		name := e.Name()
		alive, pid, err := shim.Alive(dbdir, name)
		if err != nil {
			continue
		}
		if alive {
			if st, err := shim.ReadStatus(dbdir, name); err == nil && pid != 0 && st.ShimPID == pid && st.State != datadir.StateStarting {
				continue
			}
		} else if !unanswered(dbdir, name) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !alive && !waitLocked(ctx, dbdir, name) {
				return
			}
			shim.WaitRunning(ctx, dbdir, name, 0) // how it ends, plan tells
		}()
	}
	wg.Wait()
}

// spawnWait bounds the wait for a shim to take its lock after its spawn.
const spawnWait = time.Second

// unanswered reports whether spec.json of name is newer than its
// status.json, or has none: an apply wrote it and was killed before the
// shim it may have spawned wrote a status. Such a shim, between its exec
// and its lock, is seen by nobody: Start then fails on it ("shim already
// running"). Spawn handing the shim its lock already taken would close
// that window.
func unanswered(dbdir datadir.Dir, name string) bool {
	spec, err := os.Lstat(dbdir.Spec(name))
	if err != nil || !spec.Mode().IsRegular() {
		return false
	}
	st, err := os.Lstat(dbdir.Status(name))
	return err != nil || st.ModTime().Before(spec.ModTime())
}

// waitLocked waits up to spawnWait for a shim to take the lock of name.
func waitLocked(ctx context.Context, dbdir datadir.Dir, name string) bool {
	ctx, cancel := context.WithTimeout(ctx, spawnWait)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if alive, _, err := shim.Alive(dbdir, name); err != nil || alive {
			return alive
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}
