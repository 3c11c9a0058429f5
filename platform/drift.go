package platform

import (
	"context"

	"github.com/roostd/roost/platform/datadir"
)

// Drift is a change on the host that may have made it differ from the
// configuration: a roost tap or a bridge removed or changed, a shim that
// exited. It only says when to look again; what to do is decided by a
// plan made from a full observation.
type Drift struct {
	Kind    string // "link" or "shim"
	Message string // for people: "tap rt351d301529 of web removed"
}

// WatchDrift sends host drift to out until ctx ends: link events from the
// kernel and the exits of live shims. refresh re-reads which shims are
// alive; call it after starting or stopping some. Where the OS offers no
// such events, WatchDrift says so in its error and the caller relies on
// periodic resyncs.
func (h *Host) WatchDrift(ctx context.Context, out chan<- Drift) (refresh func(), err error) {
	return h.watchDrift(ctx, out)
}

// liveShims returns the unikernel of each live shim, by the pid it wrote
// into its lock.
func (h *Host) liveShims() map[int]string {
	pids := map[int]string{}
	ents, _ := h.dbdir.ReadDir(h.dbdir.UnikernelsDir())
	top, err := h.dbdir.OpenDir(h.dbdir.UnikernelsDir())
	if err != nil {
		return pids
	}
	defer top.Close()
	for _, e := range ents {
		if datadir.Hidden(e.Name()) || !e.IsDir() {
			continue
		}
		dir, err := top.Sub(e.Name())
		if err != nil {
			continue
		}
		if alive, pid, err := h.shims.Alive(dir); err == nil && alive && pid > 0 {
			pids[pid] = e.Name()
		}
		dir.Close()
	}
	return pids
}
