package platform

import "context"

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
