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
// (which the host adds) before the shim itself is killed.
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

// part is the part of a change a step carries out. A replacement is two
// steps, so that what must happen between its stop and its start (a block
// resized, a unikernel it depends on replaced) can.
type part int

const (
	whole     part = iota
	stopPart       // a replacement's stop: reported with its start
	startPart      // a replacement's start, after its stop
)

type step struct {
	change *plan.Change
	part   part
	stop   *step // for startPart: its stopPart
	deps   []*step
	done   chan struct{}
	began  time.Time // when it started running; set before done is closed
	err    error     // set before done is closed
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
	steps, err := graph(p)
	if err != nil {
		return Result{}, err
	}
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
	// end records how a change ended; the stop part of a replacement
	// records nothing, its start part speaks for both.
	end := func(s *step, phase Phase, d time.Duration, err error) {
		if s.part == stopPart {
			return
		}
		addr := s.change.Address()
		mu.Lock()
		switch phase {
		case PhaseDone:
			res.Done = append(res.Done, addr)
		case PhaseFailed:
			res.Failed = append(res.Failed, addr)
		case PhaseSkipped:
			res.Skipped = append(res.Skipped, addr)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		}
		mu.Unlock()
		report(Event{Address: addr, Action: s.change.Action, Phase: phase, Duration: d, Err: err})
	}
	for _, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(s.done)
			addr := s.change.Address()
			for _, d := range s.deps {
				select {
				case <-d.done:
				case <-ctx.Done():
					s.err = ctx.Err()
					end(s, PhaseSkipped, 0, s.err)
					return
				}
				switch {
				case d.err == nil:
				case d == s.stop:
					// The replacement's own stop failed: the change
					// failed, with that error.
					s.err = d.err
					end(s, PhaseFailed, time.Since(d.began), d.err)
					return
				default:
					s.err = fmt.Errorf("%w: %s did not succeed", ErrSkipped, d.change.Address())
					end(s, PhaseSkipped, 0, s.err)
					return
				}
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				s.err = ctx.Err()
				end(s, PhaseSkipped, 0, s.err)
				return
			}
			s.began = time.Now()
			if s.part != startPart {
				report(Event{Address: addr, Action: s.change.Action, Phase: PhaseStart})
			}
			err := runStep(ctx, host, s, opts)
			<-sem
			if err == nil && startsTender(s) {
				// Waiting for the tender to prove itself is no work: it
				// does not hold a parallelism slot, so a hundred starts
				// verify at once.
				err = host.VerifyUnikernel(ctx, s.change.Name, opts.Verify)
			}
			began := s.began
			if s.stop != nil {
				began = s.stop.began
			}
			s.err = err
			if err != nil {
				end(s, PhaseFailed, time.Since(began), err)
			} else {
				end(s, PhaseDone, time.Since(began), nil)
			}
		}()
	}
	wg.Wait()
	sort.Strings(res.Done)
	sort.Strings(res.Failed)
	sort.Strings(res.Skipped)
	return res, errors.Join(errs...)
}

// graph links each step to the steps it must wait for: bridges and blocks
// before the unikernels that use them, unikernels after those they depend
// on; a unikernel stopped before the unikernels it depends on stop, and
// before the bridges and blocks it used are deleted or resized.
func graph(p *plan.Plan) ([]*step, error) {
	var steps []*step
	starts := map[string]*step{} // by address: the step that brings it up (or the only one)
	stops := map[string]*step{}  // by address: the step that stops a unikernel
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Kind == plan.KindUnikernel && c.Action == plan.Replace {
			stop := &step{change: c, part: stopPart, done: make(chan struct{})}
			start := &step{change: c, part: startPart, stop: stop, deps: []*step{stop}, done: make(chan struct{})}
			steps = append(steps, stop, start)
			stops[c.Address()], starts[c.Address()] = stop, start
			continue
		}
		s := &step{change: c, done: make(chan struct{})}
		steps = append(steps, s)
		starts[c.Address()] = s
		if c.Kind == plan.KindUnikernel && c.Action == plan.Delete {
			stops[c.Address()] = s
		}
	}
	after := func(s *step, d *step) {
		if d != nil && d != s {
			s.deps = append(s.deps, d)
		}
	}
	up := func(addr string) *step {
		if d := starts[addr]; d != nil && d.change.Action != plan.Delete {
			return d
		}
		return nil
	}
	for _, s := range steps {
		c := s.change
		switch {
		case c.Kind == plan.KindUnikernel && s.part != stopPart && c.Action != plan.Delete && c.Spec != nil:
			for _, n := range c.Spec.Nets {
				after(s, up(plan.KindBridge+"."+n.Bridge))
			}
			for _, b := range c.Spec.Blocks {
				after(s, up(plan.KindBlock+"."+b.Block))
			}
			for _, d := range c.Spec.DependsOn {
				after(s, up(plan.KindUnikernel+"."+d))
			}
		case c.Kind == plan.KindUnikernel && s == stops[c.Address()]:
			// Stop before: a unikernel that depended on this one (by its
			// applied spec) and stops too goes first.
			for addr, o := range stops {
				if oc := o.change; oc.Prior != nil && oc.Prior.Spec != nil && addr != c.Address() {
					for _, d := range oc.Prior.Spec.DependsOn {
						if d == c.Name {
							after(s, o)
						}
					}
				}
			}
		case (c.Kind == plan.KindBridge && c.Action == plan.Delete) || (c.Kind == plan.KindBlock && (c.Action == plan.Delete || c.Action == plan.Update)):
			// Whatever used it under its old spec stops first. (A bridge's
			// addresses and MTU change under running taps.)
			for _, o := range stops {
				if oc := o.change; oc.Prior != nil && oc.Prior.Spec != nil && usesResource(oc.Prior.Spec, c.Kind, c.Name) {
					after(s, o)
				}
			}
			if c.Kind == plan.KindBridge {
				for _, o := range steps {
					if o.change.Kind == plan.KindTap && o.change.Tap != nil && o.change.Tap.Master == c.Name {
						after(s, o)
					}
				}
			}
		}
	}
	if err := checkAcyclic(steps); err != nil {
		return nil, err
	}
	return steps, nil
}

// checkAcyclic fails if steps wait for each other in a cycle, which would
// hang Run: a bug in graph, said rather than waited on.
func checkAcyclic(steps []*step) error {
	state := map[*step]int{}
	var visit func(s *step) error
	visit = func(s *step) error {
		switch state[s] {
		case 1:
			return fmt.Errorf("BUG: steps wait for each other in a cycle through %s", s.change.Address())
		case 2:
			return nil
		}
		state[s] = 1
		for _, d := range s.deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[s] = 2
		return nil
	}
	for _, s := range steps {
		if err := visit(s); err != nil {
			return err
		}
	}
	return nil
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

// runStep carries out one step.
func runStep(ctx context.Context, host Host, s *step, opts Options) error {
	c := s.change
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
			if s.part == stopPart {
				return stopUnikernel(ctx, host, c, c.Spec)
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

// startsTender reports whether s starts a tender that must then be
// verified.
func startsTender(s *step) bool {
	c := s.change
	return c.Kind == plan.KindUnikernel && s.part != stopPart && (c.Action == plan.Create || c.Action == plan.Start || c.Action == plan.Replace)
}

// stopUnikernel stops a unikernel's shim and deletes the taps that next
// (nil: nothing) does not keep.
func stopUnikernel(ctx context.Context, host Host, c *plan.Change, next *plan.Spec) error {
	if err := host.StopUnikernel(ctx, c.Name, stopGrace); err != nil {
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
