package plan

import (
	"fmt"
	"maps"
)

// moves carries out the configuration's moved blocks on what plan sees of
// the host, before anything is compared: a block or unikernel found under
// a move's From is looked at as if it were under To, so that the rest of
// the plan compares it with its declaration (a resize, a replacement) and
// neither creates To nor deletes From. The changes of moved resources get
// MovedFrom (moved records them, by To's address). A move whose From is
// not on the host did its work already, or never had any: nothing. A move
// whose From and To are both on the host is a problem: which one holds
// the data is not plan's to guess.
func (m *maker) moves() {
	m.moved = map[string]string{}
	if len(m.d.Moves) == 0 {
		return
	}
	o := *m.o
	o.Blocks = maps.Clone(m.o.Blocks)
	o.Unikernels = maps.Clone(m.o.Unikernels)
	both := func(mv Moved) {
		m.problem(mv.Pos, mv.Kind+"."+mv.From, "moved to %s.%s, but the host has both %s.%s and %s.%s (%s); roost does not guess which one holds the data: move or delete one of them by hand, or remove the moved block", mv.Kind, mv.To, mv.Kind, mv.From, mv.Kind, mv.To, m.movedPaths(mv))
	}
	for _, mv := range m.d.Moves {
		switch mv.Kind {
		case KindBlock:
			ob, ok := o.Blocks[mv.From]
			if !ok {
				continue
			}
			if _, ok := o.Blocks[mv.To]; ok {
				both(mv)
				continue
			}
			delete(o.Blocks, mv.From)
			o.Blocks[mv.To] = ob
		case KindUnikernel:
			ou, ok := o.Unikernels[mv.From]
			if !ok {
				continue
			}
			if _, ok := o.Unikernels[mv.To]; ok {
				both(mv)
				continue
			}
			delete(o.Unikernels, mv.From)
			o.Unikernels[mv.To] = ou
		default:
			panic("BUG: move of a " + mv.Kind)
		}
		m.moved[mv.Kind+"."+mv.To] = mv.From
	}
	m.o = &o
}

// movedPaths names the data directory entries of both ends of mv.
func (m *maker) movedPaths(mv Moved) string {
	dir := "block/"
	if mv.Kind == KindUnikernel {
		dir = "unikernels/"
	}
	return dir + mv.From + " and " + dir + mv.To
}

// movedFrom is the name on the host of the resource kind.name moves from,
// or "".
func (m *maker) movedFrom(kind, name string) string { return m.moved[kind+"."+name] }

// blockRenames maps the moved blocks' old names to their new ones, for
// comparing the blocks an applied spec attaches with those declared.
func (m *maker) blockRenames() map[string]string {
	r := map[string]string{}
	for _, mv := range m.d.Moves {
		if mv.Kind == KindBlock && m.moved[KindBlock+"."+mv.To] == mv.From {
			r[mv.From] = mv.To
		}
	}
	return r
}

// renamedBlocksOnly clears ForcesReplacement of the blocks field of fields
// when what differs is only the names of moved blocks: the tender was
// handed the block's file when it started, and a rename does not disturb
// it, so spec.json is written again (an update in place) and the tender
// keeps running.
func (m *maker) renamedBlocksOnly(fields []Field, prior *Spec) {
	renames := m.blockRenames()
	if len(renames) == 0 || prior == nil {
		return
	}
	renamed := *prior
	renamed.Blocks = nil
	for _, b := range prior.Blocks {
		if to, ok := renames[b.Block]; ok {
			b.Block = to
		}
		renamed.Blocks = append(renamed.Blocks, b)
	}
	for i, f := range fields {
		if f.Name == "blocks" && f.ForcesReplacement && blocksText(renamed.Blocks) == f.After {
			fields[i].ForcesReplacement = false
		}
	}
}

// movedUnikernel finishes the change c of a unikernel that moves from
// from: its directory is renamed, which may not happen under a live shim
// (it works in that directory), so a running unikernel is stopped, moved
// and started again even when nothing its tender sees changes. One that
// is not running is moved and its spec.json written under the new name
// (Move), then started or updated as the rest of its change says. ok is
// the unikernel's change before the move: false when it had none.
func (m *maker) movedUnikernel(c Change, ok bool, ou *ObservedUnikernel, from string) Change {
	c.MovedFrom = from
	if !ok {
		// Nothing else changes; an ended one stays ended, but under its
		// new name.
		if n := len(m.p.NotRunning); n > 0 && m.p.NotRunning[n-1].Name == c.Name {
			m.p.NotRunning = m.p.NotRunning[:n-1]
		}
		c.Action = Move
		c.Reasons = nil
	}
	if ou.ShimAlive && c.Action != Replace {
		c.Action = Replace
		c.Reasons = append(c.Reasons, fmt.Sprintf("its shim runs in unikernels/%s, which is renamed: it is stopped, moved and started again", from))
	}
	return c
}
