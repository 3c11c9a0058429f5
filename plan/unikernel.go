package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// NewSpec is the spec a desired unikernel is applied with, given its
// tender. It is declarative: the data directory's paths and the tender's
// argv are platform's to render when it starts the tender.
func NewSpec(u *Unikernel, tender TenderLookup) *Spec {
	s := &Spec{
		Name:          u.Name,
		Image:         u.Image.Path,
		ImageSHA256:   u.Image.SHA256,
		Target:        u.Image.Target,
		ABIVersion:    u.Image.ABIVersion,
		Tender:        tender.Path,
		TenderVersion: tender.Version,
		MemoryMiB:     u.MemoryMiB,
		CPUs:          u.CPUs,
		Argv:          u.Argv,
		Restart:       u.Restart,
		StopTimeout:   u.StopTimeout,
		DependsOn:     u.DependsOn,
		Source:        u.Pos.String(),
		RunAsRoot:     u.RunAsRoot,
	}
	for _, n := range u.Nets {
		s.Nets = append(s.Nets, SpecNet{Device: n.Device, Bridge: n.Bridge, MAC: n.MAC, Tap: TapName(u.Name, n.Device)})
	}
	for _, b := range u.Blocks {
		s.Blocks = append(s.Blocks, SpecBlock{Device: b.Device, Block: b.Block, SectorSize: b.SectorSize, SizeMiB: b.SizeMiB})
	}
	return s
}

func (m *maker) unikernels() {
	declared := map[string]bool{}
	replace := map[string]bool{}
	for _, r := range m.in.Replace {
		replace[strings.TrimPrefix(r, KindUnikernel+".")] = true
	}
	for i := range m.d.Unikernels {
		u := &m.d.Unikernels[i]
		declared[u.Name] = true
		c, ok := m.unikernel(u, replace[u.Name])
		if from := m.movedFrom(KindUnikernel, u.Name); from != "" && c.Prior != nil {
			c, ok = m.movedUnikernel(c, ok, c.Prior, from), true
		}
		if ok {
			m.p.Changes = append(m.p.Changes, c)
		}
	}
	for _, name := range sortedKeys(m.o.Unikernels) {
		if declared[name] {
			continue
		}
		ou := m.o.Unikernels[name]
		m.p.Changes = append(m.p.Changes, Change{Kind: KindUnikernel, Name: name, Action: Delete, Prior: &ou, Reasons: []string{m.goneReason()}})
	}
}

// unikernel plans the declared unikernel u; ok is false when nothing
// changes (or a Problem stands in for the change).
func (m *maker) unikernel(u *Unikernel, replace bool) (c Change, ok bool) {
	tender, found := m.o.Tenders[TenderKey(u.Image.Target, u.Image.ABIVersion)]
	if !found || tender.Err != "" {
		return Change{}, false // a Problem already
	}
	spec := NewSpec(u, tender)
	ou, exists := m.o.Unikernels[u.Name]
	c = Change{Kind: KindUnikernel, Name: u.Name, Spec: spec}
	if !exists {
		c.Action = Create
		c.Reasons = []string{"declared, never applied"}
		c.Fields = specFields(nil, spec)
		return c, true
	}
	c.Prior = &ou
	if ou.Spec == nil {
		c.Action = Replace
		c.Reasons = []string{"spec.json unreadable: " + ou.Problem}
		c.Fields = specFields(nil, spec)
		return c, true
	}
	c.Fields = specFields(&ou, spec)
	m.renamedBlocksOnly(c.Fields, ou.Spec)
	return m.applied(c, &ou, replace)
}

// applied decides what becomes of an applied unikernel whose spec and
// field differences c holds.
func (m *maker) applied(c Change, ou *ObservedUnikernel, replace bool) (Change, bool) {
	forces := slices.ContainsFunc(c.Fields, func(f Field) bool { return f.ForcesReplacement })
	ended := !ou.ShimAlive && ou.Status != nil && (ou.Status.State == StateExited || ou.Status.State == StateFailed) && ou.Status.BootID == m.o.BootID
	missing, wrong := tapDrift(c.Spec, m.o.Taps)
	switch {
	case forces:
		c.Action = Replace
	case replace:
		c.Action = Replace
		c.Reasons = []string{"replacement requested with -replace"}
	case ended && len(missing) > 0:
		// Its tap went away (by hand, say) and the tender ended for
		// that: host drift, not its restart policy.
		c.Action = Replace
		c.Reasons = missing
	case ended && len(c.Fields) > 0:
		// Only fields that update in place changed: record them, the
		// tender stays ended.
		c.Action = Update
	case ended && m.imageGone(c.Spec) != "":
		c.Action = Update
		c.RestoreImage = true
		c.Reasons = []string{m.imageGone(c.Spec)}
	case ended:
		m.p.NotRunning = append(m.p.NotRunning, NotRunning{Name: c.Name, State: ou.Status.State, LastExit: ExitText(ou.Status.LastExit)})
		return c, false
	case !ou.ShimAlive:
		c.Action = Start
		c.Reasons = []string{whyNotRunning(ou, m.o.BootID)}
	case len(c.Fields) == 0 && ou.SpecStale:
		// spec.json is newer than what the shim runs with: a reload
		// after an update in place was lost.
		c.Action = Update
		c.Reasons = []string{specStaleReason(ou)}
	case len(missing) > 0:
		c.Action = Replace
		c.Reasons = missing
	case m.imageGone(c.Spec) != "":
		// The tender runs from memory; its next start needs the file.
		c.Action = Update
		c.RestoreImage = true
		c.Reasons = append([]string{m.imageGone(c.Spec)}, wrong...)
	case len(wrong) > 0:
		c.Action = Update
		c.Reasons = wrong
	case len(c.Fields) == 0:
		return c, false
	default:
		c.Action = Update
	}
	if c.Action == Update && !c.RestoreImage {
		if why := m.imageGone(c.Spec); why != "" {
			c.RestoreImage = true
			c.Reasons = append(c.Reasons, why)
		}
	}
	return c, true
}

// whyNotRunning explains a declared, applied unikernel without a live
// shim, in what roost saw: the lock nobody holds, and what status.json
// claims (a pid in it is a claim, not a process roost found).
func whyNotRunning(ou *ObservedUnikernel, bootID string) string {
	st := ou.Status
	switch {
	case st == nil && (ou.StatusProblem == "" || ou.StatusProblem == "missing"):
		return "never started (no status.json)"
	case st == nil:
		return "no shim holds shim.lock, and status.json is unreadable: " + ou.StatusProblem
	case st.BootID != "" && st.BootID != bootID:
		return "host rebooted since it last ran"
	case st.State == StateStopped:
		return "stopped"
	case st.State == StateExited || st.State == StateFailed:
		return fmt.Sprintf("%s before this boot", st.State)
	}
	msg := fmt.Sprintf("no shim holds shim.lock; status.json last said %s, shim pid %d", st.State, st.ShimPID)
	if st.TenderPID != 0 {
		msg += fmt.Sprintf(", tender pid %d", st.TenderPID)
	}
	if st.LastExit != nil {
		msg += "; last exit: " + ExitText(st.LastExit)
	}
	return msg
}

// specStaleReason says why a live shim's spec.json is reloaded: the digest
// status.json records is not that of spec.json on disk. A shim still
// starting has not got as far as loading it.
func specStaleReason(ou *ObservedUnikernel) string {
	if ou.Status != nil && ou.Status.State == StateStarting {
		return fmt.Sprintf("the shim (pid %d) is starting and status.json does not yet record the spec.json on disk (restart policy, stop timeout)", ou.ShimPID)
	}
	return "the shim runs with another spec.json than the one on disk: status.json records a different digest (restart policy, stop timeout)"
}

// ExitText says how a tender ended: "exited with code 255 at 2026-...".
func ExitText(e *Exit) string {
	if e == nil {
		return "no exit recorded"
	}
	at := e.At.UTC().Format(time.RFC3339)
	switch {
	case e.Stopped:
		return "stopped by roost at " + at
	case e.Signal != "":
		return fmt.Sprintf("killed by %s at %s", e.Signal, at)
	case e.Code != nil:
		return fmt.Sprintf("exited with code %d at %s", *e.Code, at)
	}
	return "ended at " + at
}

// tapDrift says what is wrong with the taps of s's nets: the missing ones
// (the tender lost its network: a replacement) and the others (a master or
// up state fixed in place).
func tapDrift(s *Spec, taps map[string]ObservedTap) (missing, wrong []string) {
	for _, n := range s.Nets {
		t, ok := taps[n.Tap]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("tap %s of net %q missing", n.Tap, n.Device))
		case t.Master != n.Bridge:
			wrong = append(wrong, fmt.Sprintf("tap %s is on bridge %q, not %q", n.Tap, t.Master, n.Bridge))
		case !t.Up:
			wrong = append(wrong, fmt.Sprintf("tap %s is down", n.Tap))
		}
	}
	return missing, wrong
}

// imageGone says why the stored image of spec cannot start a tender, or
// "" when it can.
func (m *maker) imageGone(spec *Spec) string {
	d := spec.ImageSHA256
	switch {
	case m.o.Images[d]:
		return ""
	case slices.Contains(m.o.ImagesAltered, d):
		return fmt.Sprintf("stored image sha256 %s was altered (its content has another digest); it is stored again from %s", short(d), spec.Image)
	}
	return fmt.Sprintf("stored image sha256 %s is missing; it is stored again from %s", short(d), spec.Image)
}

func short(digest string) string { return digest[:min(12, len(digest))] }
