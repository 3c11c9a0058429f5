package config

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/plan"
	"github.com/zclconf/go-cty/cty"
)

var movedSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "from", Required: true}, {Name: "to", Required: true},
}}

// movedDecl is a moved block, as Terraform's: the object once declared as
// From is now declared as To, and what the host holds for it is renamed.
type movedDecl struct {
	plan.Moved
	def      hcl.Range
	from, to hcl.Range // the expressions
	// fromText and toText are the addresses as written: "block.data[0]".
	fromText, toText string
	// ok is false once a diagnostic was reported for this move; it does
	// not reach Desired.
	ok bool
}

// decodeMoved reads the moved blocks' addresses; checkMoved checks them
// against the declarations once the instances are known.
func (l *loader) decodeMoved() {
	for _, b := range l.decls.moved {
		content, diags := b.Body.Content(movedSchema)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		mv := &movedDecl{def: b.DefRange, ok: true}
		mv.Pos = posOf(b.DefRange)
		fromKind, from, fromText, ok1 := l.movedAddress(content.Attributes["from"])
		toKind, to, toText, ok2 := l.movedAddress(content.Attributes["to"])
		if !ok1 || !ok2 {
			continue
		}
		mv.from, mv.to = content.Attributes["from"].Expr.Range(), content.Attributes["to"].Expr.Range()
		mv.fromText, mv.toText = fromText, toText
		if fromKind != toKind {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Moved between kinds",
				Detail:   fmt.Sprintf("This moved block moves %s to %s. A move renames a block or a unikernel within its kind; a block's data cannot become a unikernel, nor the reverse.", fromText, toText),
				Subject:  rangePtr(b.DefRange),
			})
			continue
		}
		mv.Kind, mv.From, mv.To = fromKind, from, to
		l.moved = append(l.moved, mv)
	}
}

// movedAddress reads a moved address: block.NAME or unikernel.NAME, with
// an optional index [N] (an instance of count) or ["KEY"] (of for_each).
// It returns the kind, the instance name ("data-0", as expand names
// instances), and the address as written.
func (l *loader) movedAddress(a *hcl.Attribute) (kind, name, text string, ok bool) {
	bad := func(detail string, args ...any) (string, string, string, bool) {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid moved address",
			Detail:   fmt.Sprintf(detail, args...) + ` Write block.NAME or unikernel.NAME, with [N] for an instance of count or ["KEY"] for one of for_each.`,
			Subject:  rangePtr(a.Expr.Range()),
		})
		return "", "", "", false
	}
	t, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() {
		return bad("The %s of a moved block is an address, not a value.", a.Name)
	}
	if len(t) < 2 || len(t) > 3 {
		return bad("The %s address has %d parts.", a.Name, len(t))
	}
	kind = t.RootName()
	if kind != plan.KindBlock && kind != plan.KindUnikernel {
		return bad("%q is not a kind that moves: only blocks and unikernels hold what a rename keeps.", kind)
	}
	attr, isAttr := t[1].(hcl.TraverseAttr)
	if !isAttr {
		return bad("The %s address does not name a %s after %q.", a.Name, kind, kind)
	}
	name, text = attr.Name, kind+"."+attr.Name
	if !ValidName(name) {
		return bad("The name %q breaks the name rule: %s.", name, NameRule)
	}
	if len(t) == 3 {
		idx, isIndex := t[2].(hcl.TraverseIndex)
		if !isIndex {
			return bad("The %s address has something other than an index after %s.", a.Name, text)
		}
		switch k := idx.Key; {
		case k.Type() == cty.Number && !k.IsNull():
			bf := k.AsBigFloat()
			i, acc := bf.Int64()
			if acc != big.Exact || i < 0 || i >= maxInstances {
				return bad("The index %s of %s is not a count index, a whole number from 0 to %d.", bf.Text('g', -1), text, maxInstances-1)
			}
			name += "-" + strconv.FormatInt(i, 10)
			text += "[" + strconv.FormatInt(i, 10) + "]"
		case k.Type() == cty.String && !k.IsNull():
			name += "-" + k.AsString()
			text += "[" + strconv.Quote(k.AsString()) + "]"
		default:
			return bad("The index of %s is a %s; it needs a number or a string.", text, k.Type().FriendlyName())
		}
		if !ValidName(name) {
			return bad("%s makes the instance name %q, which breaks the name rule: %s.", text, name, NameRule)
		}
	}
	return kind, name, text, true
}

// checkMoved checks the moves against each other and against the
// declarations: each object moves once, to one place, not along a chain or
// around a cycle; From is no longer declared and To is.
func (l *loader) checkMoved() {
	declared := map[string]hcl.Range{}
	for _, b := range l.blocks {
		declared[plan.KindBlock+"."+b.Name] = b.def
	}
	for _, u := range l.unikernels {
		declared[plan.KindUnikernel+"."+u.Name] = u.def
	}
	key := func(kind, name string) string { return kind + "." + name }
	byFrom := map[string]*movedDecl{}
	byTo := map[string]*movedDecl{}
	for _, mv := range l.moved {
		from, to := key(mv.Kind, mv.From), key(mv.Kind, mv.To)
		if first, ok := byFrom[from]; ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate moved block",
				Detail:   fmt.Sprintf("%s was already moved to %s at %s. An object moves to one place.", mv.fromText, first.toText, first.def),
				Subject:  rangePtr(mv.from),
			})
			mv.ok = false
			continue
		}
		if first, ok := byTo[to]; ok && from != to {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Two objects moved to one",
				Detail:   fmt.Sprintf("%s is where %s moved to, at %s. Two objects cannot become one: keep one of the moves.", mv.toText, first.fromText, first.def),
				Subject:  rangePtr(mv.to),
			})
			mv.ok = false
			continue
		}
		byFrom[from], byTo[to] = mv, mv
	}
	// Chains and cycles: a move whose To is another move's From.
	for _, mv := range l.moved {
		if !mv.ok {
			continue
		}
		next := byFrom[key(mv.Kind, mv.To)]
		if next == nil || !next.ok {
			continue
		}
		path := []*movedDecl{mv}
		cycle := false
		for cur := next; cur != nil && cur.ok; cur = byFrom[key(cur.Kind, cur.To)] {
			if cur == mv {
				cycle = true
				break
			}
			if len(path) > len(l.moved) {
				break // a cycle that mv only leads into; reported from it
			}
			path = append(path, cur)
		}
		addrs := ""
		for _, p := range path {
			addrs += p.fromText + " -> "
		}
		addrs += path[len(path)-1].toText
		if cycle {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cycle in moved blocks",
				Detail:   fmt.Sprintf("The moved blocks move objects around in a cycle: %s. Nothing would be where a move expects it.", addrs),
				Subject:  rangePtr(mv.def),
			})
			for _, p := range path {
				p.ok = false
			}
			continue
		}
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Chained moved blocks",
			Detail:   fmt.Sprintf("This move's %s is moved on by the moved block at %s: %s. A host may hold either name; write one move from each old address to %s instead.", mv.toText, next.def, addrs, path[len(path)-1].toText),
			Subject:  rangePtr(mv.to),
		})
		mv.ok = false
	}
	for _, mv := range l.moved {
		if !mv.ok {
			continue
		}
		if at, ok := declared[key(mv.Kind, mv.From)]; ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Moved object still declared",
				Detail:   fmt.Sprintf("This moved block says %s (%s %q) is now %s, but %s is still declared at %s. Rename the declaration, or remove the moved block.", mv.fromText, mv.Kind, mv.From, mv.toText, mv.fromText, at),
				Subject:  rangePtr(mv.from),
			})
			mv.ok = false
			continue
		}
		if _, ok := declared[key(mv.Kind, mv.To)]; !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Moved to undeclared object",
				Detail:   fmt.Sprintf("This moved block moves %s to %s (%s %q), which is not declared. Declare it, or fix the to address.", mv.fromText, mv.toText, mv.Kind, mv.To),
				Subject:  rangePtr(mv.to),
			})
			mv.ok = false
		}
	}
}
