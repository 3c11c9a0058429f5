package apply

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roostd/roost/plan"
)

// pass loads the configuration if asked to, then plans and applies.
// notices are the reasons that are reported as configuration notices.
func (w *watcher) pass(ctx context.Context, reasons []string, notices map[string]bool, reload bool) {
	start := time.Now()
	for _, r := range reasons {
		if notices[r] {
			w.report(WatchEvent{Kind: KindConfig, Reason: r})
		}
	}
	if reload {
		w.load(ctx)
	}
	done := func(e WatchEvent) {
		e.Kind = KindPass
		e.Generation = w.generation
		e.Reasons = reasons
		e.Duration = time.Since(start)
		if w.good != nil {
			e.Commit = w.good.Commit
		}
		w.report(e)
	}
	if w.good == nil {
		done(WatchEvent{Result: PassInvalid})
		return
	}
	release, err := w.cfg.Host.Lock(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.report(WatchEvent{Kind: KindError, Err: err})
		}
		done(WatchEvent{Result: PassFailed, Err: err})
		return
	}
	defer release()
	p, err := w.plan(ctx, reasons)
	if err != nil {
		w.report(WatchEvent{Kind: KindError, Err: err})
		done(WatchEvent{Result: PassFailed, Err: err})
		return
	}
	if p == nil {
		done(WatchEvent{Result: PassBlocked})
		return
	}
	if w.cfg.Drift != nil {
		// Shims started by others (roost apply beside watch) are
		// watched from now on too.
		defer w.cfg.Drift.Refresh()
	}
	if p.Empty() {
		done(WatchEvent{Result: PassNoop})
		return
	}
	done(w.apply(ctx, p, reasons))
}

// plan observes the host for the configuration in force and plans,
// leaving out what failed host checks concern and what waits for its
// retry time. The plan is nil when a host-wide check failed.
func (w *watcher) plan(ctx context.Context, reasons []string) (*plan.Plan, error) {
	o, err := w.cfg.Host.ObserveFor(ctx, w.good.Desired)
	if err != nil {
		return nil, err
	}
	// Watch never shrinks or deletes a block, whatever the flags.
	p := plan.Make(plan.Input{Desired: w.good.Desired, Observed: o})
	if blocked := w.problems1(p); blocked {
		return nil, nil
	}
	// A resource that failed before and needs nothing now (its tender
	// ended under its policy, say) is no longer retried.
	planned := map[string]bool{}
	for _, c := range p.Changes {
		planned[c.Address()] = true
	}
	for a := range w.retry {
		if !planned[a] {
			delete(w.retry, a)
		}
	}
	w.dropRetrying(p)
	return p, nil
}

// apply runs a plan that changes something and returns the pass's end.
func (w *watcher) apply(ctx context.Context, p *plan.Plan, reasons []string) WatchEvent {
	// Drift is said only when it changed something: most link events and
	// shim exits are the echoes of watch's own passes.
	for _, r := range reasons {
		if strings.HasPrefix(r, ReasonDrift) {
			w.report(WatchEvent{Kind: KindDrift, Reason: r})
		}
	}
	changes := map[string]*plan.Change{}
	for i := range p.Changes {
		changes[p.Changes[i].Address()] = &p.Changes[i]
	}
	opts := w.cfg.Apply
	opts.Progress = func(e Event) {
		if e.Phase == PhaseStart {
			return
		}
		w.report(WatchEvent{Kind: KindStep, Address: e.Address, Action: e.Action, Phase: e.Phase,
			Change: changes[e.Address], Duration: e.Duration, Err: e.Err})
	}
	res, runErr := Run(ctx, w.cfg.Host, p, opts)
	now := time.Now()
	for _, a := range res.Done {
		delete(w.retry, a)
	}
	for _, a := range append(append([]string(nil), res.Failed...), res.Skipped...) {
		r := w.retry[a]
		r.fails++
		r.next = now.Add(min(w.cfg.RetryFirst<<min(r.fails-1, 30), w.cfg.RetryMax))
		w.retry[a] = r
	}
	if err := PruneImages(ctx, w.cfg.Host); err != nil && ctx.Err() == nil {
		w.report(WatchEvent{Kind: KindError, Err: fmt.Errorf("prune images: %w", err)})
	}
	result := PassOK
	if runErr != nil {
		result = PassFailed
	}
	return WatchEvent{Result: result, Changes: len(p.Changes), Failed: len(res.Failed) + len(res.Skipped)}
}

// load reads the configuration; a valid one with new content becomes the
// next generation.
func (w *watcher) load(ctx context.Context) {
	l, err := w.cfg.Source.Load(ctx)
	if err != nil {
		w.report(WatchEvent{Kind: KindInvalid, Err: err, Generation: w.generation})
		w.invalid = true
		return
	}
	wasInvalid := w.invalid
	w.invalid = false
	if w.good != nil && w.good.Fingerprint == l.Fingerprint {
		w.good.Commit = l.Commit
		if wasInvalid {
			w.report(WatchEvent{Kind: KindConfig, Generation: w.generation, Commit: l.Commit})
		}
		return
	}
	w.good = l
	w.generation++
	w.problems = map[string]bool{}
	// A new configuration deserves a new try at once.
	w.retry = map[string]retryState{}
	w.report(WatchEvent{Kind: KindConfig, Generation: w.generation, Commit: l.Commit, Desired: l.Desired})
}

// problems1 reports a plan's failed host checks (each once per
// configuration generation) and removes the changes of the resources they
// concern, so that one unikernel without its tender does not hold back the
// others. It reports whether a host-wide check failed: then nothing is
// applied.
func (w *watcher) problems1(p *plan.Plan) (blocked bool) {
	bad := map[string]bool{}
	for i, pr := range p.Problems {
		if !w.problems[pr.String()] {
			w.problems[pr.String()] = true
			w.report(WatchEvent{Kind: KindProblem, Problem: &p.Problems[i]})
		}
		if pr.Resource == "host" {
			blocked = true
		}
		bad[pr.Resource] = true
	}
	keep := p.Changes[:0]
	for _, c := range p.Changes {
		if !bad[c.Address()] {
			keep = append(keep, c)
		}
	}
	p.Changes = keep
	return blocked
}

// dropRetrying removes the changes of resources whose retry time has not
// come, so that a failing step is retried with backoff, not in a hot loop.
func (w *watcher) dropRetrying(p *plan.Plan) {
	now := time.Now()
	keep := p.Changes[:0]
	for _, c := range p.Changes {
		if r, ok := w.retry[c.Address()]; ok && now.Before(r.next) {
			continue
		}
		keep = append(keep, c)
	}
	p.Changes = keep
}
