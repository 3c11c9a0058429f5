package apply

import (
	"fmt"

	"github.com/roostd/roost/plan"
)

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
						if d == c.PriorName() {
							after(s, o)
						}
					}
				}
			}
		case (c.Kind == plan.KindBridge && c.Action == plan.Delete) || (c.Kind == plan.KindBlock && (c.Action == plan.Delete || c.Action == plan.Update || c.MovedFrom != "")):
			// Whatever used it under its old spec stops first. (A bridge's
			// addresses and MTU change under running taps; a block that
			// moves keeps the tenders that have it open running, but one
			// that stops lets go of it first.)
			for _, o := range stops {
				if oc := o.change; oc.Prior != nil && oc.Prior.Spec != nil && usesResource(oc.Prior.Spec, c.Kind, c.PriorName()) {
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
