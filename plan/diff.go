package plan

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roostd/roost/platform/solo5"
)

// Input is everything Make needs.
type Input struct {
	Desired  *Desired
	Observed *Observed
	// DBDir is the data directory: specs name files under it.
	DBDir string
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
	m.p.ConfigFingerprint = ConfigFingerprint(d)
	m.p.HostFingerprint = HostFingerprint(o)
	if !in.Destroy {
		m.checkHost()
	}
	m.bridges()
	m.blocks()
	m.unikernels()
	m.taps()
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
	o  *Observed
	p  *Plan
}

func (m *maker) problem(pos Pos, resource, format string, args ...any) {
	m.p.Problems = append(m.p.Problems, Problem{Pos: pos, Resource: resource, Message: fmt.Sprintf(format, args...)})
}

// checkHost runs the checks that need the host: tenders, bridges, CPUs,
// memory, disk.
func (m *maker) checkHost() {
	declared := map[string]bool{}
	for _, b := range m.d.Bridges {
		declared[b.Name] = true
	}
	cpus := map[int]bool{}
	for _, c := range m.o.Host.CPUs {
		cpus[c] = true
	}
	var totalMem int64
	tooBig := false
	for _, u := range m.d.Unikernels {
		addr := KindUnikernel + "." + u.Name
		if t, ok := m.o.Tenders[TenderKey(u.Image.Target, u.Image.ABIVersion)]; !ok || t.Err != "" {
			msg := "no tender was looked up"
			if ok {
				msg = t.Err
			}
			m.problem(u.Pos, addr, "%s", msg)
		}
		for _, n := range u.Nets {
			if !declared[n.Bridge] {
				if _, ok := m.o.Bridges[n.Bridge]; !ok {
					m.problem(u.Pos, addr, "net %q: bridge %q is neither declared nor present on the host; declare it with bridge %q {} or create it", n.Device, n.Bridge, n.Bridge)
				}
			}
		}
		for _, c := range u.CPUs {
			if !cpus[c] {
				m.problem(u.Pos, addr, "cpu %d does not exist on this host (online: %s)", c, cpuList(m.o.Host.CPUs))
			}
		}
		if m.o.Host.MemoryMiB > 0 && int64(u.MemoryMiB) > m.o.Host.MemoryMiB {
			m.problem(u.Pos, addr, "memory %d MiB exceeds the host's %d MiB", u.MemoryMiB, m.o.Host.MemoryMiB)
			tooBig = true
		}
		totalMem += int64(u.MemoryMiB)
	}
	if m.o.Host.MemoryMiB > 0 && totalMem > m.o.Host.MemoryMiB && !tooBig {
		m.problem(Pos{}, "host", "the unikernels declare %d MiB of memory in all; the host has %d MiB", totalMem, m.o.Host.MemoryMiB)
	}
	var growMiB int64
	for _, b := range m.d.Blocks {
		have := m.o.Blocks[b.Name].SizeBytes
		if grow := b.SizeMiB<<20 - have; grow > 0 {
			growMiB += (grow + 1<<20 - 1) >> 20
		}
	}
	if growMiB > 0 && growMiB > m.o.Host.DiskFreeMiB {
		m.problem(Pos{}, "host", "the blocks need %d MiB more on the data directory's file system, which has %d MiB free", growMiB, m.o.Host.DiskFreeMiB)
	}
}

func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

func (m *maker) bridges() {
	used := map[string]bool{}
	for _, u := range m.d.Unikernels {
		for _, n := range u.Nets {
			used[n.Bridge] = true
		}
	}
	declared := map[string]bool{}
	for i := range m.d.Bridges {
		b := &m.d.Bridges[i]
		declared[b.Name] = true
		ob, ok := m.o.Bridges[b.Name]
		switch {
		case !ok:
			m.p.Changes = append(m.p.Changes, Change{Kind: KindBridge, Name: b.Name, Action: Create, Bridge: b, Reasons: []string{"declared, not on the host"}, Fields: bridgeFields(nil, b)})
		case !ob.Owned:
			if (b.MTU != 0 && b.MTU != ob.MTU) || (len(b.Addresses) > 0 && !samePrefixes(b.Addresses, ob.Addresses)) {
				m.p.Warnings = append(m.p.Warnings, fmt.Sprintf("bridge %q existed before roost and is used as it is; its addresses and MTU differ from the configuration and are left alone", b.Name))
			}
		default:
			fields := bridgeFields(&ob, b)
			if len(fields) > 0 {
				m.p.Changes = append(m.p.Changes, Change{Kind: KindBridge, Name: b.Name, Action: Update, Bridge: b, Fields: fields})
			} else if !ob.Up {
				m.p.Changes = append(m.p.Changes, Change{Kind: KindBridge, Name: b.Name, Action: Update, Bridge: b, Reasons: []string{"bridge is down"}})
			}
		}
	}
	for _, name := range sortedKeys(m.o.Bridges) {
		ob := m.o.Bridges[name]
		if ob.Owned && !declared[name] && !used[name] {
			m.p.Changes = append(m.p.Changes, Change{Kind: KindBridge, Name: name, Action: Delete, Reasons: []string{m.goneReason()}})
		}
	}
}

func bridgeFields(ob *ObservedBridge, b *Bridge) []Field {
	var fields []Field
	var beforeAddrs, beforeMTU string
	if ob != nil {
		beforeAddrs = prefixList(ob.Addresses)
		beforeMTU = strconv.Itoa(ob.MTU)
	}
	if ob == nil || !samePrefixes(ob.Addresses, b.Addresses) {
		if ob != nil || len(b.Addresses) > 0 {
			fields = append(fields, Field{Name: "addresses", Before: beforeAddrs, After: prefixList(b.Addresses)})
		}
	}
	if b.MTU != 0 && (ob == nil || ob.MTU != b.MTU) {
		fields = append(fields, Field{Name: "mtu", Before: beforeMTU, After: strconv.Itoa(b.MTU)})
	}
	return fields
}

func samePrefixes(a, b []netip.Prefix) bool {
	return prefixList(a) == prefixList(b)
}

func prefixList(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	sort.Strings(s)
	return "[" + strings.Join(s, ", ") + "]"
}

func (m *maker) blocks() {
	declared := map[string]bool{}
	for i := range m.d.Blocks {
		b := &m.d.Blocks[i]
		declared[b.Name] = true
		want := b.SizeMiB << 20
		ob, ok := m.o.Blocks[b.Name]
		switch {
		case !ok:
			c := Change{Kind: KindBlock, Name: b.Name, Action: Create, Block: b, Reasons: []string{"declared, not in the data directory"},
				Fields: []Field{{Name: "size", After: mib(want)}}}
			if b.Source != "" {
				c.Fields = append(c.Fields, Field{Name: "source", After: b.Source})
			}
			m.p.Changes = append(m.p.Changes, c)
		case ob.SizeBytes < want:
			m.p.Changes = append(m.p.Changes, Change{Kind: KindBlock, Name: b.Name, Action: Update, Block: b, PriorSizeBytes: ob.SizeBytes,
				Fields: []Field{{Name: "size", Before: mib(ob.SizeBytes), After: mib(want)}}})
		case ob.SizeBytes > want:
			if !m.in.AllowDataLoss {
				m.problem(b.Pos, KindBlock+"."+b.Name, "shrinking from %s to %s would destroy data at its end; pass -allow-data-loss to shrink it", mib(ob.SizeBytes), mib(want))
				continue
			}
			m.p.Changes = append(m.p.Changes, Change{Kind: KindBlock, Name: b.Name, Action: Update, Block: b, PriorSizeBytes: ob.SizeBytes,
				Reasons: []string{"shrinking destroys the data beyond the new size (-allow-data-loss)"},
				Fields:  []Field{{Name: "size", Before: mib(ob.SizeBytes), After: mib(want)}}})
		}
	}
	for _, name := range sortedKeys(m.o.Blocks) {
		if declared[name] {
			continue
		}
		ob := m.o.Blocks[name]
		if m.in.AllowDataLoss {
			m.p.Changes = append(m.p.Changes, Change{Kind: KindBlock, Name: name, Action: Delete, PriorSizeBytes: ob.SizeBytes,
				Reasons: []string{"not in the configuration; its data is deleted (-allow-data-loss)"}})
			continue
		}
		m.p.Retained = append(m.p.Retained, Retained{Name: name, SizeBytes: ob.SizeBytes})
	}
}

func mib(bytes int64) string { return MiBText(bytes, 2) }

// NewSpec is the spec a desired unikernel is applied with, given its
// tender and the data directory.
func NewSpec(u *Unikernel, tender TenderLookup, dbdir string) *Spec {
	s := &Spec{
		Name:          u.Name,
		Image:         u.Image.Path,
		ImageFile:     filepath.Join(dbdir, "images", u.Image.SHA256),
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
	}
	l := solo5.Launch{Tender: tender.Path, Image: s.ImageFile, MemoryMiB: u.MemoryMiB, Args: u.Argv}
	for _, n := range u.Nets {
		sn := SpecNet{Device: n.Device, Bridge: n.Bridge, MAC: n.MAC, Tap: TapName(u.Name, n.Device)}
		s.Nets = append(s.Nets, sn)
		l.Nets = append(l.Nets, solo5.NetArg{Device: n.Device, Tap: sn.Tap, MAC: n.MAC})
	}
	for _, b := range u.Blocks {
		sb := SpecBlock{Device: b.Device, Block: b.Block, Path: filepath.Join(dbdir, "block", b.Block), SectorSize: b.SectorSize, SizeMiB: b.SizeMiB}
		s.Blocks = append(s.Blocks, sb)
		l.Blocks = append(l.Blocks, solo5.BlockArg{Device: b.Device, Path: sb.Path, SectorSize: b.SectorSize})
	}
	s.Command = l.Argv()
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
		tender, ok := m.o.Tenders[TenderKey(u.Image.Target, u.Image.ABIVersion)]
		if !ok || tender.Err != "" {
			continue // a Problem already
		}
		spec := NewSpec(u, tender, m.in.DBDir)
		ou, exists := m.o.Unikernels[u.Name]
		c := Change{Kind: KindUnikernel, Name: u.Name, Spec: spec}
		if !exists {
			c.Action = Create
			c.Reasons = []string{"declared, never applied"}
			c.Fields = specFields(nil, spec)
			m.p.Changes = append(m.p.Changes, c)
			continue
		}
		c.Prior = &ou
		if ou.Spec == nil {
			c.Action = Replace
			c.Reasons = []string{"spec.json unreadable: " + ou.Problem}
			c.Fields = specFields(nil, spec)
			m.p.Changes = append(m.p.Changes, c)
			continue
		}
		fields := specFields(ou.Spec, spec)
		forces := false
		for _, f := range fields {
			forces = forces || f.ForcesReplacement
		}
		running := ou.ShimAlive
		ended := !running && ou.Status != nil && (ou.Status.State == StateExited || ou.Status.State == StateFailed) && ou.Status.BootID == m.o.BootID
		switch {
		case forces:
			c.Action = Replace
			c.Fields = fields
		case replace[u.Name]:
			c.Action = Replace
			c.Fields = fields
			c.Reasons = []string{"replacement requested with -replace"}
		case ended && len(missingTaps(spec, m.o.Taps)) > 0:
			// Its tap went away (by hand, say) and the tender ended for
			// that: host drift, not its restart policy.
			c.Action = Replace
			c.Fields = fields
			c.Reasons = missingTaps(spec, m.o.Taps)
		case ended:
			if len(fields) > 0 {
				// Only fields that update in place changed: record them,
				// the tender stays ended.
				c.Action = Update
				c.Fields = fields
				break
			}
			m.p.NotRunning = append(m.p.NotRunning, NotRunning{Name: u.Name, State: ou.Status.State, LastExit: ExitText(ou.Status.LastExit)})
			continue
		case !running:
			c.Action = Start
			c.Fields = fields
			c.Reasons = []string{whyNotRunning(&ou, m.o.BootID)}
		default:
			if st := ou.Status; len(fields) == 0 && st != nil && st.SpecDigest != "" && st.SpecDigest != Digest(ou.Spec) {
				// spec.json is newer than what the shim runs with: a
				// reload after an update in place was lost.
				c.Action = Update
				c.Reasons = []string{"the shim has not loaded spec.json (restart policy, stop timeout)"}
				break
			}
			if reasons := tapDrift(spec, m.o.Taps); len(reasons) > 0 {
				if missing := missingTaps(spec, m.o.Taps); len(missing) > 0 {
					c.Action = Replace
					c.Reasons = missing
				} else {
					c.Action = Update
					c.Reasons = reasons
				}
				c.Fields = fields
				break
			}
			if len(fields) == 0 {
				continue
			}
			c.Action = Update
			c.Fields = fields
		}
		m.p.Changes = append(m.p.Changes, c)
	}
	for _, name := range sortedKeys(m.o.Unikernels) {
		if declared[name] {
			continue
		}
		ou := m.o.Unikernels[name]
		m.p.Changes = append(m.p.Changes, Change{Kind: KindUnikernel, Name: name, Action: Delete, Prior: &ou, Reasons: []string{m.goneReason()}})
	}
}

// goneReason is why something on the host is deleted.
func (m *maker) goneReason() string {
	if m.in.Destroy {
		return "roost destroy"
	}
	return "not in the configuration"
}

// whyNotRunning explains a declared, applied unikernel without a live shim.
func whyNotRunning(ou *ObservedUnikernel, bootID string) string {
	st := ou.Status
	switch {
	case st == nil:
		return "never started (no status.json)"
	case st.BootID != "" && st.BootID != bootID:
		return "host rebooted since it last ran"
	case st.State == StateStopped:
		return "stopped"
	case st.State == StateExited || st.State == StateFailed:
		return fmt.Sprintf("%s before this boot", st.State)
	}
	msg := fmt.Sprintf("shim (pid %d) is gone; it last said %s", st.ShimPID, st.State)
	if st.TenderPID != 0 {
		msg += fmt.Sprintf(", tender pid %d", st.TenderPID)
	}
	if st.LastExit != nil {
		msg += "; last exit: " + ExitText(st.LastExit)
	}
	return msg
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

func missingTaps(s *Spec, taps map[string]ObservedTap) []string {
	var out []string
	for _, n := range s.Nets {
		if _, ok := taps[n.Tap]; !ok {
			out = append(out, fmt.Sprintf("tap %s of net %q missing", n.Tap, n.Device))
		}
	}
	return out
}

func tapDrift(s *Spec, taps map[string]ObservedTap) []string {
	var out []string
	for _, n := range s.Nets {
		t, ok := taps[n.Tap]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("tap %s of net %q missing", n.Tap, n.Device))
		case t.Master != n.Bridge:
			out = append(out, fmt.Sprintf("tap %s is on bridge %q, not %q", n.Tap, t.Master, n.Bridge))
		case !t.Up:
			out = append(out, fmt.Sprintf("tap %s is down", n.Tap))
		}
	}
	return out
}

// specField is one field of a spec as the plan shows it.
type specField struct {
	name   string
	text   func(*Spec) string
	forces bool // the tender sees it: a change replaces the unikernel
}

var specFieldList = []specField{
	{"image", imageText, true},
	{"tender", tenderText, true},
	{"memory", func(s *Spec) string { return strconv.Itoa(s.MemoryMiB) + " MiB" }, true},
	{"cpus", func(s *Spec) string { return intsText(s.CPUs) }, true},
	{"argv", func(s *Spec) string { return quoteList(s.Argv) }, true},
	{"nets", func(s *Spec) string { return netsText(s.Nets) }, true},
	{"blocks", func(s *Spec) string { return blocksText(s.Blocks) }, true},
	{"restart", func(s *Spec) string { return restartText(s.Restart) }, false},
	{"stop_timeout", func(s *Spec) string { return s.StopTimeout.String() }, false},
	{"depends_on", func(s *Spec) string { return quoteList(s.DependsOn) }, false},
}

// specFields lists what differs between the applied spec a (nil: none) and
// b; fields the tender sees force a replacement.
func specFields(a, b *Spec) []Field {
	var fields []Field
	for _, f := range specFieldList {
		after := f.text(b)
		if a == nil {
			if after != "" && after != "[]" {
				fields = append(fields, Field{Name: f.name, After: after})
			}
			continue
		}
		if before := f.text(a); before != after {
			fields = append(fields, Field{Name: f.name, Before: before, After: after, ForcesReplacement: f.forces})
		}
	}
	if a != nil && !slices.Equal(a.Command, b.Command) && !slices.ContainsFunc(fields, func(f Field) bool { return f.ForcesReplacement }) {
		// Something the tender sees that the fields above do not show,
		// such as the data directory having moved.
		fields = append(fields, Field{Name: "command", Before: quoteList(a.Command), After: quoteList(b.Command), ForcesReplacement: true})
	}
	return fields
}

// tenderText is the tender's path and version: an upgrade in place is a
// new tender too.
func tenderText(s *Spec) string {
	if s.TenderVersion == "" {
		return s.Tender
	}
	return s.Tender + " (" + s.TenderVersion + ")"
}

func imageText(s *Spec) string {
	d := s.ImageSHA256
	if len(d) > 12 {
		d = d[:12]
	}
	return fmt.Sprintf("%s (sha256 %s, %s ABI %d)", s.Image, d, s.Target, s.ABIVersion)
}

func intsText(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func quoteList(v []string) string {
	s := make([]string, len(v))
	for i, e := range v {
		s[i] = strconv.Quote(e)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func netsText(ns []SpecNet) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprintf("%s: bridge %s, mac %s, tap %s", n.Device, n.Bridge, n.MAC, n.Tap)
	}
	return "[" + strings.Join(s, "; ") + "]"
}

func blocksText(bs []SpecBlock) string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = fmt.Sprintf("%s: block %s, %d MiB, sector %d", b.Device, b.Block, b.SizeMiB, b.SectorSize)
	}
	return "[" + strings.Join(s, "; ") + "]"
}

func restartText(r Restart) string {
	s := fmt.Sprintf("policy %s, backoff %s, max_backoff %s", r.Policy, r.Backoff, r.MaxBackoff)
	if len(r.ExitCodes) > 0 {
		s += ", exit_codes " + intsText(r.ExitCodes)
	}
	return s
}

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

// checkNames reports -replace and -target names that name nothing: a typo
// must not pass for "no changes".
func (m *maker) checkNames() {
	unikernels := map[string]bool{}
	for _, u := range m.d.Unikernels {
		unikernels[u.Name] = true
	}
	for _, r := range m.in.Replace {
		if name := strings.TrimPrefix(r, KindUnikernel+"."); !unikernels[name] {
			m.problem(Pos{}, "-replace", "no declared unikernel %q to replace", r)
		}
	}
	known := map[string]bool{}
	for name := range unikernels {
		known[name], known[KindUnikernel+"."+name] = true, true
	}
	for _, b := range m.d.Bridges {
		known[b.Name], known[KindBridge+"."+b.Name] = true, true
	}
	for _, b := range m.d.Blocks {
		known[b.Name], known[KindBlock+"."+b.Name] = true, true
	}
	for _, c := range m.p.Changes {
		known[c.Name], known[c.Address()] = true, true
	}
	for _, t := range m.in.Targets {
		if !known[t] {
			m.problem(Pos{}, "-target", "%q names no resource of the configuration or the host", t)
		}
	}
}

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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
