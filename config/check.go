package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/internal/compress"
	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/plan"
)

// check runs the checks that need the whole configuration, then builds
// Desired.
func (l *loader) check() {
	l.checkInstanceNames()
	l.checkAttachments()
	l.attachmentSizes()
	l.checkMACs()
	l.checkDependencies()
	l.checkMoved()
	for _, u := range l.unikernels {
		l.checkImage(u)
	}

	d := &l.cfg.Desired
	for _, b := range l.bridges {
		d.Bridges = append(d.Bridges, b.Bridge)
		l.cfg.Ranges["bridge/"+b.Name] = b.def
	}
	for _, b := range l.blocks {
		d.Blocks = append(d.Blocks, b.Block)
		l.cfg.Ranges["block/"+b.Name] = b.def
	}
	for _, u := range l.unikernels {
		l.cfg.Ranges["unikernel/"+u.Name] = u.def
		pu := u.Unikernel
		sort.Slice(pu.Nets, func(i, j int) bool { return pu.Nets[i].Device < pu.Nets[j].Device })
		sort.Slice(pu.Blocks, func(i, j int) bool { return pu.Blocks[i].Device < pu.Blocks[j].Device })
		d.Unikernels = append(d.Unikernels, pu)
	}
	for _, mv := range l.moved {
		if mv.ok {
			d.Moves = append(d.Moves, mv.Moved)
		}
	}
	sort.Slice(d.Bridges, func(i, j int) bool { return d.Bridges[i].Name < d.Bridges[j].Name })
	sort.Slice(d.Blocks, func(i, j int) bool { return d.Blocks[i].Name < d.Blocks[j].Name })
	sort.Slice(d.Unikernels, func(i, j int) bool { return d.Unikernels[i].Name < d.Unikernels[j].Name })
}

// checkInstanceNames reports instances whose expanded names collide, such
// as unikernel "web" with count = 2 beside a unikernel "web-1".
func (l *loader) checkInstanceNames() {
	l.unikernels = uniqueInstances(l, "unikernel", l.unikernels, func(u *unikernelDecl) (string, hcl.Range) { return u.Name, u.def })
	l.blocks = uniqueInstances(l, "block", l.blocks, func(b blockDecl) (string, hcl.Range) { return b.Name, b.def })
}

// uniqueInstances keeps the first of decls with each name and reports the
// others, for kind.
func uniqueInstances[D any](l *loader, kind string, decls []D, name func(D) (string, hcl.Range)) []D {
	seen := map[string]hcl.Range{}
	kept := decls[:0]
	for _, d := range decls {
		n, def := name(d)
		if first, ok := seen[n]; ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Duplicate %s instance", kind),
				Detail:   fmt.Sprintf("The %s name %q is also made by the %s at %s. Rename one of them.", instanceWord(kind), n, kind, first),
				Subject:  rangePtr(def),
			})
			continue
		}
		seen[n] = def
		kept = append(kept, d)
	}
	return kept
}

// instanceWord is how a duplicate's message names what collides: a
// unikernel's instance name, a block's name.
func instanceWord(kind string) string {
	if kind == "unikernel" {
		return "instance"
	}
	return kind
}

// checkAttachments checks that every attached block is declared and is
// attached to one unikernel only.
func (l *loader) checkAttachments() {
	declared := map[string]bool{}
	for _, b := range l.blocks {
		declared[b.Name] = true
	}
	type use struct {
		unikernel string
		at        hcl.Range
	}
	used := map[string]use{}
	for _, u := range l.unikernels {
		for i, a := range u.Blocks {
			at := u.blocks[i].device
			if !declared[a.Block] {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared block",
					Detail:   fmt.Sprintf("Unikernel %q attaches block %q as device %q, but no block %q is declared. Declare it with a block %q { size = ... } at the top level.", u.Name, a.Block, a.Device, a.Block, a.Block),
					Subject:  rangePtr(at),
				})
				continue
			}
			if first, ok := used[a.Block]; ok {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Block attached twice",
					Detail:   fmt.Sprintf("Block %q is already attached to unikernel %q at %s. A block device is attached to at most one unikernel, or both would write it.", a.Block, first.unikernel, first.at),
					Subject:  rangePtr(at),
				})
				continue
			}
			used[a.Block] = use{u.Name, at}
		}
	}
}

// attachmentSizes copies each attached block's size into the attachment:
// it is part of what the tender sees.
func (l *loader) attachmentSizes() {
	size := map[string]int64{}
	for _, b := range l.blocks {
		size[b.Name] = b.SizeMiB
	}
	for _, u := range l.unikernels {
		for i := range u.Blocks {
			u.Blocks[i].SizeMiB = size[u.Blocks[i].Block]
		}
	}
}

// checkMACs checks that no two net devices share a MAC, declared or derived.
func (l *loader) checkMACs() {
	type use struct {
		unikernel, device string
		at                hcl.Range
	}
	seen := map[string]use{}
	for _, u := range l.unikernels {
		for i, n := range u.Nets {
			if n.MAC == "" {
				continue
			}
			at := u.nets[i].def
			if u.nets[i].mac != nil {
				at = *u.nets[i].mac
			}
			if first, ok := seen[n.MAC]; ok {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate MAC address",
					Detail:   fmt.Sprintf("Net device %q of unikernel %q has MAC %s, which device %q of unikernel %q (%s) already has. Every net device needs its own MAC.", n.Device, u.Name, n.MAC, first.device, first.unikernel, first.at),
					Subject:  rangePtr(at),
				})
				continue
			}
			seen[n.MAC] = use{u.Name, n.Device, at}
		}
	}
}

// checkDependencies resolves depends_on (an instance name, or the name of a
// unikernel block with count or for_each, meaning all its instances) and
// reports unknown targets and cycles.
func (l *loader) checkDependencies() {
	byName := map[string]*unikernelDecl{}
	groups := map[string][]string{}
	for _, u := range l.unikernels {
		byName[u.Name] = u
		groups[u.base] = append(groups[u.base], u.Name)
	}
	for _, u := range l.unikernels {
		set := map[string]bool{}
		for _, d := range u.depNames {
			var targets []string
			switch {
			case byName[d] != nil:
				targets = []string{d}
			case groups[d] != nil:
				targets = groups[d]
			case isGroup(l.decls.unikernels, d):
				// count = 0 or an empty for_each: nothing to wait for.
			default:
				l.invalid(u.dependsOn, "Reference to undeclared unikernel", "Unikernel %q depends on %q, but no unikernel or instance of that name is declared.", u.Name, d)
				continue
			}
			for _, t := range targets {
				if t == u.Name {
					l.invalid(u.dependsOn, "Unikernel depends on itself", "Unikernel %q lists itself in depends_on.", u.Name)
					continue
				}
				set[t] = true
			}
		}
		u.DependsOn = nil
		for t := range set {
			u.DependsOn = append(u.DependsOn, t)
		}
		sort.Strings(u.DependsOn)
	}

	// Depth-first search for cycles, reporting each once at the unikernel
	// where it is first entered.
	state := map[string]int{}
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = 1
		stack = append(stack, name)
		for _, dep := range byName[name].DependsOn {
			switch state[dep] {
			case 0:
				visit(dep)
			case 1:
				i := len(stack) - 1
				for stack[i] != dep {
					i--
				}
				cycle := append(append([]string(nil), stack[i:]...), dep)
				u := byName[dep]
				subject := u.def
				if u.dependsOn != nil {
					subject = u.dependsOn.Expr.Range()
				}
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Cycle in depends_on",
					Detail:   fmt.Sprintf("The unikernels depend on each other in a cycle: %s. None of them could start first.", strings.Join(cycle, " -> ")),
					Subject:  rangePtr(subject),
				})
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = 2
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if state[n] == 0 {
			visit(n)
		}
	}
}

func isGroup(blocks []*hcl.Block, name string) bool {
	for _, b := range blocks {
		if b.Labels[0] == name {
			return true
		}
	}
	return false
}

// checkSource checks a block's initial contents: a regular file no larger
// than the block, or a gzip or zlib stream (detected by content) that
// decompresses to no more than the block (issue 11).
func (l *loader) checkSource(a *hcl.Attribute, b plan.Block) {
	fi, err := os.Stat(b.Source)
	switch {
	case err != nil:
		l.invalid(a, "Unreadable block source", "The source of block %q cannot be read: %s.", b.Name, pathErrText(err))
		return
	case !fi.Mode().IsRegular():
		l.invalid(a, "Invalid block source", "The source of block %q, %s, is not a regular file (%s).", b.Name, l.shownPath(a.Expr.Range().Filename, b.Source), regfile.Kind(fi.Mode()))
		return
	}
	f, _, err := regfile.Open(b.Source, -1)
	if err != nil {
		l.invalid(a, "Unreadable block source", "The source of block %q cannot be read: %s.", b.Name, pathErrText(err))
		return
	}
	defer f.Close()
	var head [2]byte
	n, _ := f.ReadAt(head[:], 0)
	format := compress.Detect(head[:n])
	if format == compress.None {
		if b.SizeMiB > 0 && fi.Size() > b.SizeMiB<<20 {
			l.invalid(a, "Block source larger than the block", "The source of block %q is %d bytes; the block holds %d MiB (%d bytes).", b.Name, fi.Size(), b.SizeMiB, b.SizeMiB<<20)
		}
		return
	}
	if b.SizeMiB <= 0 {
		return // the size has its own diagnostic
	}
	// Read through to the end: only the whole stream says whether it is
	// intact and how large it expands.
	z, err := compress.NewReader(io.NewSectionReader(f, 0, fi.Size()), b.SizeMiB<<20)
	if err == nil {
		defer z.Close()
		_, err = io.Copy(io.Discard, z)
	}
	switch {
	case errors.Is(err, compress.ErrTooLarge):
		l.invalid(a, "Block source larger than the block", "The source of block %q is %s compressed and expands to more than the block's %d MiB (%d bytes).", b.Name, format, b.SizeMiB, b.SizeMiB<<20)
	case err != nil:
		l.invalid(a, "Corrupt block source", "The source of block %q, %s, starts as a %s stream but does not decompress: %s.", b.Name, l.shownPath(a.Expr.Range().Filename, b.Source), format, pathErrText(err))
	}
}
