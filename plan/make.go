package plan

import (
	"fmt"
	"sort"
)

// Input is everything Make needs.
type Input struct {
	Desired  *Desired
	Observed *Observed
	// Targets limits the plan to these resources ("web", or
	// "unikernel.web") and what they depend on. Empty: everything.
	Targets []string
	// Replace lists unikernels to replace (or start again) even if
	// nothing changed.
	Replace []string
	// AllowDataLoss permits shrinking and deleting blocks.
	AllowDataLoss bool
	// Destroy plans the removal of everything roost owns (Desired is
	// ignored); blocks are kept unless AllowDataLoss.
	Destroy bool
	// NoFingerprints leaves the plan's fingerprints empty, for a caller
	// that neither saves nor prints the plan as JSON: with a thousand
	// unikernels, encoding the whole configuration and host to hash them
	// is a tenth of a plan.
	NoFingerprints bool
}

// Make compares in.Desired with in.Observed and returns the plan. Host
// checks that fail are Problems of the plan, not errors: the caller shows
// them all and applies nothing.
func Make(in Input) *Plan {
	d := in.Desired
	if d == nil || in.Destroy {
		d = &Desired{}
	}
	o := in.Observed
	m := &maker{in: in, d: d, o: o, p: &Plan{Destroy: in.Destroy}}
	if !in.NoFingerprints {
		m.p.ConfigFingerprint = ConfigFingerprint(d)
		m.p.HostFingerprint = HostFingerprint(o)
	}
	m.moves()
	if !in.Destroy {
		m.checkHost()
	}
	m.checkConflicts()
	m.bridges()
	m.blocks()
	m.unikernels()
	m.taps()
	m.notes()
	m.checkShim()
	m.checkNames()
	if len(in.Targets) > 0 {
		m.target()
	}
	m.p.sort()
	return m.p
}

type maker struct {
	in Input
	d  *Desired
	o  *Observed // with the moves carried out (moves)
	p  *Plan
	// moved maps the address of each resource that moves on this host to
	// its name there.
	moved map[string]string
	// uidsReported: the UIDProblems are reported once, not per unikernel.
	uidsReported bool
	// specNets is what the applied specs of o name, once asked for
	// (after moves).
	specNets *appliedNets
}

func (m *maker) problem(pos Pos, resource, format string, args ...any) {
	m.p.Problems = append(m.p.Problems, Problem{Pos: pos, Resource: resource, Message: fmt.Sprintf(format, args...)})
}

// goneReason is why something on the host is deleted.
func (m *maker) goneReason() string {
	if m.in.Destroy {
		return "roost destroy"
	}
	return "not in the configuration"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
