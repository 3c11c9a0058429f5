package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/roostd/roost/internal/fault"
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

// DefaultParallelism bounds the steps that run at once. A step is mostly
// waiting (for a tender to stop, for the kernel), not computing: a
// hundred stops took 0.6-0.7 s with 10 at a time on two cores and 0.3 s
// with 32 or more, while starts, which verify outside the bound, did not
// change. The bound only caps the burst of processes and descriptors of a
// large apply, so it is set where it no longer serializes a host of a
// hundred unikernels, whatever its number of CPUs.
const DefaultParallelism = 64

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
		opts.Parallelism = DefaultParallelism
	}
	if opts.Verify <= 0 {
		opts.Verify = DefaultVerify
	}
	steps, err := graph(p)
	if err != nil {
		return Result{}, err
	}
	r := &runner{ctx: ctx, host: host, opts: opts, sem: make(chan struct{}, opts.Parallelism)}
	var wg sync.WaitGroup
	for _, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(s.done)
			r.run(s)
		}()
	}
	wg.Wait()
	sort.Strings(r.res.Done)
	sort.Strings(r.res.Failed)
	sort.Strings(r.res.Skipped)
	return r.res, errors.Join(r.errs...)
}

// runner is one Run: the steps run on goroutines of their own, each
// waiting for its dependencies, then for a slot of the parallelism bound.
type runner struct {
	ctx  context.Context
	host Host
	opts Options
	sem  chan struct{} // a slot per step running

	mu   sync.Mutex // guards res and errs
	res  Result
	errs []error
}

func (r *runner) report(e Event) {
	if r.opts.Progress != nil {
		r.opts.Progress(e)
	}
}

// end records how a change ended; the stop part of a replacement records
// nothing, its start part speaks for both.
func (r *runner) end(s *step, phase Phase, d time.Duration, err error) {
	if s.part == stopPart {
		return
	}
	addr := s.change.Address()
	r.mu.Lock()
	switch phase {
	case PhaseDone:
		r.res.Done = append(r.res.Done, addr)
	case PhaseFailed:
		r.res.Failed = append(r.res.Failed, addr)
	case PhaseSkipped:
		r.res.Skipped = append(r.res.Skipped, addr)
	}
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", addr, err))
	}
	r.mu.Unlock()
	r.report(Event{Address: addr, Action: s.change.Action, Phase: phase, Duration: d, Err: err})
}

// run runs step s once its dependencies are done, unless one failed.
func (r *runner) run(s *step) {
	if !r.waitDeps(s) {
		return
	}
	select {
	case r.sem <- struct{}{}:
	case <-r.ctx.Done():
		s.err = r.ctx.Err()
		r.end(s, PhaseSkipped, 0, s.err)
		return
	}
	s.began = time.Now()
	if s.part != startPart {
		r.report(Event{Address: s.change.Address(), Action: s.change.Action, Phase: PhaseStart})
	}
	fault.Point("apply.step.begin")
	err := runStep(r.ctx, r.host, s, r.opts)
	<-r.sem
	if err == nil && startsTender(s) {
		fault.Point("apply.start.spawned")
		// Waiting for the tender to prove itself is no work: it does
		// not hold a parallelism slot, so a hundred starts verify at
		// once.
		err = r.host.VerifyUnikernel(r.ctx, s.change.Name, r.opts.Verify)
	}
	began := s.began
	if s.stop != nil {
		began = s.stop.began
	}
	s.err = err
	if err != nil {
		r.end(s, PhaseFailed, time.Since(began), err)
	} else {
		fault.Point("apply.step.done")
		r.end(s, PhaseDone, time.Since(began), nil)
	}
}

// waitDeps waits for the steps s depends on and reports whether s may
// run; when not, it has recorded why.
func (r *runner) waitDeps(s *step) bool {
	for _, d := range s.deps {
		select {
		case <-d.done:
		case <-r.ctx.Done():
			s.err = r.ctx.Err()
			r.end(s, PhaseSkipped, 0, s.err)
			return false
		}
		switch {
		case d.err == nil:
		case d == s.stop:
			// The replacement's own stop failed: the change failed,
			// with that error.
			s.err = d.err
			r.end(s, PhaseFailed, time.Since(d.began), d.err)
			return false
		default:
			s.err = fmt.Errorf("%w: %s did not succeed", ErrSkipped, d.change.Address())
			r.end(s, PhaseSkipped, 0, s.err)
			return false
		}
	}
	return true
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
		if c.MovedFrom != "" {
			if err := host.MoveBlock(ctx, c.MovedFrom, c.Name); err != nil {
				return err
			}
		}
		switch c.Action {
		case plan.Move:
			return nil
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
		if c.MovedFrom != "" && c.Action != plan.Replace {
			// Not running (plan replaces a running one): moved first.
			if err := host.MoveUnikernel(ctx, c.MovedFrom, c.Name); err != nil {
				return err
			}
		}
		switch c.Action {
		case plan.Move:
			// spec.json names the unikernel: written again.
			return host.UpdateUnikernel(ctx, c.Spec)
		case plan.Create, plan.Start:
			return startUnikernel(ctx, host, c.Spec, opts)
		case plan.Replace:
			if s.part == stopPart {
				if err := stopUnikernel(ctx, host, c, c.Spec); err != nil || c.MovedFrom == "" {
					return err
				}
				fault.Point("apply.move.stopped")
				return host.MoveUnikernel(ctx, c.MovedFrom, c.Name)
			}
			fault.Point("apply.replace.stopped")
			return startUnikernel(ctx, host, c.Spec, opts)
		case plan.Update:
			if c.RestoreImage {
				if _, err := host.StoreImage(ctx, c.Spec.Image, c.Spec.ImageSHA256); err != nil {
					return err
				}
			}
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
			fault.Point("apply.delete.stopped")
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
	fault.Point("apply.start.tapped")
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
	if err := host.StopUnikernel(ctx, c.PriorName(), stopGrace); err != nil {
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
