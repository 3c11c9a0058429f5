package main

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/shim"
)

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
