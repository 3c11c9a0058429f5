package shim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roostd/roost/platform/datadir"
)

// ErrNotShim means the process that shim.lock names is not the live shim
// of the unikernel: it does not hold the lock, or it is not a roost-shim
// started for this data directory and name. roost signals no such process.
var ErrNotShim = errors.New("not the unikernel's shim")

// findHolder returns the live shim of name, proven as holder.verify says,
// or nil when none is alive. It gives a shim that holds the lock but has
// not yet written its pid a moment to do so. The pid in shim.lock is only
// a claim: anyone who can write the file can name any process.
func findHolder(ctx context.Context, dbdir datadir.Dir, name string) (*holder, error) {
	const tries = 200 // 1 s at pollInterval
	for i := 0; ; i++ {
		held, pid, err := probeLock(dbdir, dbdir.ShimLock(name))
		switch {
		case err != nil:
			return nil, err
		case !held:
			return nil, nil
		case pid != 0:
			h, err := openHolder(pid)
			if err != nil {
				return nil, err
			}
			if err := h.verify(dbdir, name); err != nil {
				h.close()
				// A shim that is exiting lets go of its lock between the
				// probe and the proof: that is no impostor.
				if held, again, perr := probeLock(dbdir, dbdir.ShimLock(name)); perr == nil && (!held || again != pid) {
					if !held {
						return nil, nil
					}
					continue
				}
				return nil, fmt.Errorf("shim.lock of %s names pid %d: %w", name, pid, err)
			}
			return h, nil
		case i == tries:
			return nil, fmt.Errorf("shim.lock of %s is held but names no pid", name)
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return nil, err
		}
	}
}

// waitGone waits up to d for the holder to exit, and reports whether it
// did.
func (h *holder) waitGone(ctx context.Context, d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		gone, err := h.wait(min(left, 100*time.Millisecond))
		if err != nil || gone {
			return gone, err
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
	}
}
