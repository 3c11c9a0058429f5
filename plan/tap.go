package plan

import (
	"fmt"
)

// taps plans the deletion of roost taps that no unikernel accounts for:
// their unikernel is not declared and has no directory, or it no longer
// has that net device.
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
		tap := t
		m.p.Changes = append(m.p.Changes, Change{Kind: KindTap, Name: name, Action: Delete, Tap: &tap,
			Reasons: []string{fmt.Sprintf("owned by %s:%s, which the configuration does not declare", t.Unikernel, t.Device)}})
	}
}
