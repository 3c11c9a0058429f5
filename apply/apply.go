package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/roostd/roost/plan"
)

// Options tune Run.
type Options struct {
	// Parallelism bounds the steps run at once; 0 means 10.
	Parallelism int
	// Verify is how long a started tender must stay up for its start to
	// count as done; 0 means DefaultVerify.
	Verify time.Duration
	// Progress, if set, is called from the step's goroutine when a step
	// starts and when it ends.
	Progress func(Event)
}

// DefaultVerify is the default verify window: long enough to catch a
// tender that dies at once on bad arguments, a missing tap or a bad image.
const DefaultVerify = 100 * time.Millisecond

// stopGrace is how long a stop may take beyond the spec's stop_timeout
// before the shim itself is killed.
const stopGrace = 5 * time.Second

// Phase is where a step is.
type Phase string

// Phases of a step.
const (
	PhaseStart   Phase = "start"
	PhaseDone    Phase = "done"
	PhaseFailed  Phase = "failed"
	PhaseSkipped Phase = "skipped"
)

// Event reports a step's progress.
type Event struct {
	Address  string
	Action   plan.Action
	Phase    Phase
	Duration time.Duration // for done and failed
	Err      error         // for failed and skipped
}

// Result says what Run did, by address.
type Result struct {
	Done, Failed, Skipped []string
}

// ErrSkipped marks a step not run because a step it depends on failed.
var ErrSkipped = errors.New("skipped")

type step struct {
	change *plan.Change
	deps   []*step
	done   chan struct{}
	err    error // set before done is closed
}

// Run carries out p on host: each change once its dependencies are done,
// up to Parallelism at a time. A failed step fails the steps that depend on
// it, not the independent ones. It returns what happened and, if anything
// failed, the errors joined.
func Run(ctx context.Context, host Host, p *plan.Plan, opts Options) (Result, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 10
	}
	if opts.Verify <= 0 {
		opts.Verify = DefaultVerify
	}
	steps := graph(p)
	sem := make(chan struct{}, opts.Parallelism)
	var (
		mu   sync.Mutex // guards res and errs
		res  Result
		errs []error
		wg   sync.WaitGroup
	)
	report := func(e Event) {
		if opts.Progress != nil {
			opts.Progress(e)
		}
	}
	for _, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(s.done)
			addr := s.change.Address()
			for _, d := range s.deps {
				<-d.done
				if d.err != nil {
					s.err = fmt.Errorf("%s: %w: %s did not succeed", addr, ErrSkipped, d.change.Address())
					mu.Lock()
					res.Skipped = append(res.Skipped, addr)
					errs = append(errs, s.err)
					mu.Unlock()
					report(Event{Address: addr, Action: s.change.Action, Phase: PhaseSkipped, Err: s.err})
					return
				}
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				s.err = fmt.Errorf("%s: %w", addr, ctx.Err())
				mu.Lock()
				res.Skipped = append(res.Skipped, addr)
				errs = append(errs, s.err)
				mu.Unlock()
				report(Event{Address: addr, Action: s.change.Action, Phase: PhaseSkipped, Err: s.err})
				return
			}
			report(Event{Address: addr, Action: s.change.Action, Phase: PhaseStart})
			start := time.Now()
			err := runStep(ctx, host, s.change, opts)
			<-sem
			if err == nil && startsTender(s.change) {
				// Waiting for the tender to prove itself is no work: it
				// does not hold a parallelism slot, so a hundred starts
				// verify at once.
				err = host.VerifyUnikernel(ctx, s.change.Name, opts.Verify)
			}
			d := time.Since(start)
			mu.Lock()
			if err != nil {
				s.err = fmt.Errorf("%s: %w", addr, err)
				res.Failed = append(res.Failed, addr)
				errs = append(errs, s.err)
			} else {
				res.Done = append(res.Done, addr)
			}
			mu.Unlock()
			if err != nil {
				report(Event{Address: addr, Action: s.change.Action, Phase: PhaseFailed, Duration: d, Err: err})
			} else {
				report(Event{Address: addr, Action: s.change.Action, Phase: PhaseDone, Duration: d})
			}
		}()
	}
	wg.Wait()
	sort.Strings(res.Done)
	sort.Strings(res.Failed)
	sort.Strings(res.Skipped)
	return res, errors.Join(errs...)
}

// graph links each change to the changes it must wait for: bridges and
// blocks before the unikernels that use them, unikernels after those they
// depend on; unikernels stopped before the bridges, blocks and unikernels
// they used are deleted.
func graph(p *plan.Plan) []*step {
	steps := make([]*step, len(p.Changes))
	byAddr := map[string]*step{}
	for i := range p.Changes {
		s := &step{change: &p.Changes[i], done: make(chan struct{})}
		steps[i] = s
		byAddr[s.change.Address()] = s
	}
	dep := func(s *step, addr string, ok func(plan.Action) bool) {
		if d := byAddr[addr]; d != nil && d != s && ok(d.change.Action) {
			s.deps = append(s.deps, d)
		}
	}
	notDelete := func(a plan.Action) bool { return a != plan.Delete }
	stops := func(a plan.Action) bool { return a == plan.Delete || a == plan.Replace }
	for _, s := range steps {
		c := s.change
		switch {
		case c.Kind == plan.KindUnikernel && c.Action != plan.Delete && c.Spec != nil:
			for _, n := range c.Spec.Nets {
				dep(s, plan.KindBridge+"."+n.Bridge, notDelete)
			}
			for _, b := range c.Spec.Blocks {
				dep(s, plan.KindBlock+"."+b.Block, notDelete)
			}
			for _, d := range c.Spec.DependsOn {
				dep(s, plan.KindUnikernel+"."+d, notDelete)
			}
		case c.Kind == plan.KindUnikernel && c.Action == plan.Delete:
			// Stop before: a unikernel that depended on this one (by its
			// applied spec) goes first.
			for _, o := range steps {
				if o.change.Kind == plan.KindUnikernel && o.change.Action == plan.Delete && o.change.Prior != nil && o.change.Prior.Spec != nil {
					for _, d := range o.change.Prior.Spec.DependsOn {
						if d == c.Name {
							s.deps = append(s.deps, o)
						}
					}
				}
			}
		case (c.Kind == plan.KindBridge || c.Kind == plan.KindBlock) && (c.Action == plan.Delete || c.Action == plan.Update):
			// Whatever used it under its old spec stops first.
			for _, o := range steps {
				oc := o.change
				if oc.Kind != plan.KindUnikernel || !stops(oc.Action) || oc.Prior == nil || oc.Prior.Spec == nil {
					continue
				}
				if c.Action == plan.Update && c.Kind == plan.KindBridge {
					continue // a bridge's addresses change under running taps
				}
				if usesResource(oc.Prior.Spec, c.Kind, c.Name) {
					s.deps = append(s.deps, o)
				}
			}
			if c.Kind == plan.KindBridge && c.Action == plan.Delete {
				for _, o := range steps {
					if o.change.Kind == plan.KindTap && o.change.Tap != nil && o.change.Tap.Master == c.Name {
						s.deps = append(s.deps, o)
					}
				}
			}
		}
	}
	return steps
}

func usesResource(s *plan.Spec, kind, name string) bool {
	switch kind {
	case plan.KindBridge:
		for _, n := range s.Nets {
			if n.Bridge == name {
				return true
			}
		}
	case plan.KindBlock:
		for _, b := range s.Blocks {
			if b.Block == name {
				return true
			}
		}
	}
	return false
}

// runStep carries out one change.
func runStep(ctx context.Context, host Host, c *plan.Change, opts Options) error {
	switch c.Kind {
	case plan.KindBridge:
		switch c.Action {
		case plan.Create:
			return host.CreateBridge(ctx, *c.Bridge)
		case plan.Update:
			return host.UpdateBridge(ctx, *c.Bridge)
		case plan.Delete:
			return host.DeleteBridge(ctx, c.Name)
		}
	case plan.KindBlock:
		switch c.Action {
		case plan.Create:
			return host.CreateBlock(ctx, *c.Block)
		case plan.Update:
			return host.ResizeBlock(ctx, c.Name, c.Block.SizeMiB<<20)
		case plan.Delete:
			return host.DeleteBlock(ctx, c.Name)
		}
	case plan.KindTap:
		if c.Action == plan.Delete {
			return host.DeleteTap(ctx, c.Name)
		}
	case plan.KindUnikernel:
		switch c.Action {
		case plan.Create, plan.Start:
			return startUnikernel(ctx, host, c.Spec, opts)
		case plan.Replace:
			if err := stopUnikernel(ctx, host, c, c.Spec); err != nil {
				return err
			}
			return startUnikernel(ctx, host, c.Spec, opts)
		case plan.Update:
			for _, n := range c.Spec.Nets {
				if err := host.EnsureTap(ctx, c.Name, n); err != nil {
					return err
				}
			}
			return host.UpdateUnikernel(ctx, c.Spec)
		case plan.Delete:
			if err := stopUnikernel(ctx, host, c, nil); err != nil {
				return err
			}
			return host.RemoveUnikernel(ctx, c.Name)
		}
	}
	panic(fmt.Sprintf("BUG: no step for %s %s", c.Action, c.Address()))
}

func startUnikernel(ctx context.Context, host Host, s *plan.Spec, opts Options) error {
	if _, err := host.StoreImage(ctx, s.Image, s.ImageSHA256); err != nil {
		return err
	}
	for _, n := range s.Nets {
		if err := host.EnsureTap(ctx, s.Name, n); err != nil {
			return err
		}
	}
	return host.StartUnikernel(ctx, s)
}

// startsTender reports whether c starts a tender that must then be
// verified.
func startsTender(c *plan.Change) bool {
	return c.Kind == plan.KindUnikernel && (c.Action == plan.Create || c.Action == plan.Start || c.Action == plan.Replace)
}

// stopUnikernel stops a unikernel's shim and deletes the taps that next
// (nil: nothing) does not keep.
func stopUnikernel(ctx context.Context, host Host, c *plan.Change, next *plan.Spec) error {
	timeout := stopGrace
	if c.Prior != nil && c.Prior.Spec != nil {
		timeout += time.Duration(c.Prior.Spec.StopTimeout)
	}
	if err := host.StopUnikernel(ctx, c.Name, timeout); err != nil {
		return err
	}
	keep := map[string]bool{}
	if next != nil {
		for _, n := range next.Nets {
			keep[n.Tap] = true
		}
	}
	if c.Prior != nil && c.Prior.Spec != nil {
		for _, n := range c.Prior.Spec.Nets {
			if !keep[n.Tap] {
				if err := host.DeleteTap(ctx, n.Tap); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// PruneImages removes stored images that no applied spec refers to.
func PruneImages(ctx context.Context, host Host) error {
	o, err := host.Observe(ctx)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, u := range o.Unikernels {
		if u.Spec != nil {
			keep[u.Spec.ImageSHA256] = true
		}
	}
	return host.PruneImages(ctx, keep)
}
