package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The fields of a unikernel's spec as plan text shows them: diffing
// compares these renderings, so that what differs is what the plan says.

// specField is one field of a spec as the plan shows it.
type specField struct {
	name   string
	text   func(*Spec) string
	forces bool // the tender sees it: a change replaces the unikernel
	// quiet is a default a created unikernel does not list.
	quiet string
	// same reports that two specs hold the same values of everything
	// text reads, so that their texts are equal without being made:
	// rendering every field of both sides was most of planning a
	// thousand unchanged unikernels. Unequal values are compared by
	// their texts (two values may read the same). TestSameMeansSameText
	// holds it to that.
	same func(a, b *Spec) bool
}

var specFieldList = []specField{
	{"image", imageText, true, "", func(a, b *Spec) bool {
		return a.Image == b.Image && a.ImageSHA256 == b.ImageSHA256 && a.Target == b.Target && a.ABIVersion == b.ABIVersion
	}},
	{"tender", tenderText, true, "", func(a, b *Spec) bool { return a.Tender == b.Tender && a.TenderVersion == b.TenderVersion }},
	{"memory", func(s *Spec) string { return strconv.Itoa(s.MemoryMiB) + " MiB" }, true, "", func(a, b *Spec) bool { return a.MemoryMiB == b.MemoryMiB }},
	{"cpus", func(s *Spec) string { return intsText(s.CPUs) }, true, "", func(a, b *Spec) bool { return slices.Equal(a.CPUs, b.CPUs) }},
	{"argv", func(s *Spec) string { return quoteList(s.Argv) }, true, "", func(a, b *Spec) bool { return slices.Equal(a.Argv, b.Argv) }},
	{"nets", func(s *Spec) string { return netsText(s.Nets) }, true, "", func(a, b *Spec) bool { return slices.Equal(a.Nets, b.Nets) }},
	{"blocks", func(s *Spec) string { return blocksText(s.Blocks) }, true, "", func(a, b *Spec) bool { return slices.Equal(a.Blocks, b.Blocks) }},
	{"restart", func(s *Spec) string { return restartText(s.Restart) }, false, "", func(a, b *Spec) bool {
		ra, rb := a.Restart, b.Restart
		return ra.Policy == rb.Policy && ra.Backoff == rb.Backoff && ra.MaxBackoff == rb.MaxBackoff && slices.Equal(ra.ExitCodes, rb.ExitCodes)
	}},
	{"stop_timeout", func(s *Spec) string { return s.StopTimeout.String() }, false, "", func(a, b *Spec) bool { return a.StopTimeout == b.StopTimeout }},
	{"depends_on", func(s *Spec) string { return quoteList(s.DependsOn) }, false, "", func(a, b *Spec) bool { return slices.Equal(a.DependsOn, b.DependsOn) }},
	{"user", userText, true, userOwn, func(a, b *Spec) bool { return a.RunAsRoot == b.RunAsRoot }},
}

// userOwn is how plan shows a tender under a uid of its own (issue 13).
const userOwn = "own uid, no capabilities"

// userText is who the tender runs as: a change restarts it as the other.
func userText(s *Spec) string {
	if s.RunAsRoot {
		return "root"
	}
	return userOwn
}

// specFields lists what differs between the applied unikernel ou (nil:
// none) and the spec b; fields the tender sees force a replacement.
func specFields(ou *ObservedUnikernel, b *Spec) []Field {
	var fields []Field
	for _, f := range specFieldList {
		if ou != nil && f.same(ou.Spec, b) {
			continue
		}
		after := f.text(b)
		if ou == nil {
			if after != "" && after != "[]" && after != f.quiet {
				fields = append(fields, Field{Name: f.name, After: after})
			}
			continue
		}
		if before := f.text(ou.Spec); before != after {
			fields = append(fields, Field{Name: f.name, Before: before, After: after, ForcesReplacement: f.forces})
		}
	}
	if ou != nil && !slices.Equal(ou.Command, ou.CommandNow) && !slices.ContainsFunc(fields, func(f Field) bool { return f.ForcesReplacement }) {
		// Something the tender sees that the fields above do not show,
		// such as the data directory having moved.
		fields = append(fields, Field{Name: "command", Before: quoteList(ou.Command), After: quoteList(ou.CommandNow), ForcesReplacement: true})
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
