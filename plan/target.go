package plan

import (
	"strings"
)

// target keeps only the changes of the targeted resources and of what they
// depend on: a unikernel's bridges, blocks and depends_on, transitively.
func (m *maker) target() {
	keep := map[string]bool{}
	byName := map[string]*Unikernel{}
	for i := range m.d.Unikernels {
		byName[m.d.Unikernels[i].Name] = &m.d.Unikernels[i]
	}
	var addUnikernel func(name string)
	addUnikernel = func(name string) {
		if keep[KindUnikernel+"."+name] {
			return
		}
		keep[KindUnikernel+"."+name] = true
		u := byName[name]
		if u == nil {
			return
		}
		for _, n := range u.Nets {
			keep[KindBridge+"."+n.Bridge] = true
			keep[KindTap+"."+TapName(u.Name, n.Device)] = true
		}
		for _, b := range u.Blocks {
			keep[KindBlock+"."+b.Block] = true
		}
		for _, dep := range u.DependsOn {
			addUnikernel(dep)
		}
	}
	for _, t := range m.in.Targets {
		kind, name, ok := strings.Cut(t, ".")
		if _, known := kindOrder[kind]; !ok || !known {
			// A bare name: whatever kinds carry it.
			name = t
			addUnikernel(name)
			keep[KindBridge+"."+name] = true
			keep[KindBlock+"."+name] = true
			keep[KindTap+"."+name] = true
			continue
		}
		if kind == KindUnikernel {
			addUnikernel(name)
		} else {
			keep[kind+"."+name] = true
		}
	}
	// A -replace outside the targets would be dropped with the rest:
	// the flags conflict, and a silent no-op is no answer.
	for _, r := range m.in.Replace {
		name := strings.TrimPrefix(r, KindUnikernel+".")
		if byName[name] != nil && !keep[KindUnikernel+"."+name] {
			m.problem(Pos{}, "-replace", "%q is not among the -target resources or what they depend on, so it would not be replaced; add -target %s", r, name)
		}
	}
	changes := m.p.Changes[:0]
	for _, c := range m.p.Changes {
		if keep[c.Address()] {
			changes = append(changes, c)
		}
	}
	m.p.Changes = changes
	notRunning := m.p.NotRunning[:0]
	for _, n := range m.p.NotRunning {
		if keep[KindUnikernel+"."+n.Name] {
			notRunning = append(notRunning, n)
		}
	}
	m.p.NotRunning = notRunning
	problems := m.p.Problems[:0]
	for _, p := range m.p.Problems {
		if p.Resource == "host" || p.Resource == "-target" || p.Resource == "-replace" || keep[p.Resource] {
			problems = append(problems, p)
		}
	}
	m.p.Problems = problems
}
