package plan

import (
	"fmt"
)

// taps plans the deletion of this data directory's taps that no
// unikernel accounts for: their unikernel is not declared and has no
// directory, or it no longer has that net device. Another data
// directory's taps are not among them (they are Foreign), and a tap of a
// roost from before data directory IDs only if a spec names it.
func (m *maker) taps() {
	owned := map[string]bool{} // taps a unikernel change or the desired state accounts for
	for _, c := range m.p.Changes {
		if c.Kind != KindUnikernel {
			continue
		}
		if c.Spec != nil && c.Action != Delete {
			for _, n := range c.Spec.Nets {
				owned[n.Tap] = true
			}
		}
	}
	for _, u := range m.d.Unikernels {
		for _, n := range u.Nets {
			owned[TapName(u.Name, n.Device)] = true
		}
	}
	for _, c := range m.p.Changes {
		// A unikernel being deleted or replaced stops and deletes the
		// taps of its applied spec itself.
		if c.Kind == KindUnikernel && (c.Action == Delete || c.Action == Replace) && c.Prior != nil && c.Prior.Spec != nil {
			for _, n := range c.Prior.Spec.Nets {
				owned[n.Tap] = true
			}
		}
	}
	for _, name := range sortedKeys(m.o.Taps) {
		t := m.o.Taps[name]
		if owned[name] {
			continue
		}
		if t.Legacy && !m.legacyTapOurs(name) {
			// Made by a roost that did not name its data directory,
			// and not known to be this one's: it may be the tap of
			// another data directory's running unikernel.
			m.p.Warnings = append(m.p.Warnings, fmt.Sprintf("tap %s (unikernel %s, net %q) was made by a roost before data directories had IDs and is not known to be this data directory's: it may be another data directory's, and is left alone (delete it by hand if nothing uses it)", name, t.Unikernel, t.Device))
			continue
		}
		tap := t
		m.p.Changes = append(m.p.Changes, Change{Kind: KindTap, Name: name, Action: Delete, Tap: &tap,
			Reasons: []string{fmt.Sprintf("owned by %s:%s, which the configuration does not declare", t.Unikernel, t.Device)}})
	}
}

// legacyTapOurs reports whether the tap name, which a roost before data
// directory IDs made, is this data directory's: it existed then, and
// one of its applied specs names the tap.
func (m *maker) legacyTapOurs(name string) bool {
	return m.o.LegacyLinks && m.appliedTaps()[name]
}

// appliedTaps are the taps this data directory's applied specs name.
func (m *maker) appliedTaps() map[string]bool { return m.appliedNets().taps }

// appliedNets are the taps and bridges this data directory's applied
// specs name, read once (after moves).
func (m *maker) appliedNets() *appliedNets {
	if m.specNets == nil {
		m.specNets = &appliedNets{taps: map[string]bool{}, bridges: map[string]bool{}}
		for _, u := range m.o.Unikernels {
			if u.Spec != nil {
				for _, n := range u.Spec.Nets {
					m.specNets.taps[n.Tap] = true
					m.specNets.bridges[n.Bridge] = true
				}
			}
		}
	}
	return m.specNets
}

// appliedNets are what the applied specs of a data directory name.
type appliedNets struct{ taps, bridges map[string]bool }
