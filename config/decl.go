package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "roost"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "bridge", LabelNames: []string{"name"}},
		{Type: "block", LabelNames: []string{"name"}},
		{Type: "unikernel", LabelNames: []string{"name"}},
		{Type: "moved"},
	},
}

// declarations are the top-level blocks of every file, before evaluation.
type declarations struct {
	roost      *hcl.Block
	variables  []*hcl.Block
	locals     []*hcl.Attribute
	bridges    []*hcl.Block
	blocks     []*hcl.Block
	unikernels []*hcl.Block
	moved      []*hcl.Block
}

// collect adds the top-level blocks of f to l.decls, reporting duplicates
// within a kind across all files.
func (l *loader) collect(f *hcl.File) {
	content, diags := f.Body.Content(fileSchema)
	l.diags = append(l.diags, diags...)
	for _, b := range content.Blocks {
		switch b.Type {
		case "roost":
			if l.decls.roost != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate roost block",
					Detail:   fmt.Sprintf("Host settings were already given in a roost block at %s. A configuration has at most one roost block.", l.decls.roost.DefRange),
					Subject:  rangePtr(b.DefRange),
				})
				continue
			}
			l.decls.roost = b
		case "variable":
			l.decls.variables = append(l.decls.variables, b)
		case "locals":
			attrs, diags := b.Body.JustAttributes()
			l.diags = append(l.diags, diags...)
			for _, a := range attrs {
				l.decls.locals = append(l.decls.locals, a)
			}
		case "bridge":
			l.decls.bridges = append(l.decls.bridges, b)
		case "block":
			l.decls.blocks = append(l.decls.blocks, b)
		case "unikernel":
			l.decls.unikernels = append(l.decls.unikernels, b)
		case "moved":
			l.decls.moved = append(l.decls.moved, b)
		}
	}
}

// duplicates reports blocks of one kind that share a label, and returns the
// blocks with every duplicate after the first removed.
func (l *loader) duplicates(kind string, blocks []*hcl.Block) []*hcl.Block {
	seen := map[string]*hcl.Block{}
	var out []*hcl.Block
	for _, b := range blocks {
		name := b.Labels[0]
		if first, ok := seen[name]; ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Duplicate %s definition", kind),
				Detail:   fmt.Sprintf("A %s named %q was already defined at %s. Each %s needs a unique name.", kind, name, first.DefRange, kind),
				Subject:  rangePtr(b.DefRange),
			})
			continue
		}
		seen[name] = b
		out = append(out, b)
	}
	return out
}
