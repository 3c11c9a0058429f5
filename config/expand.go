package config

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// maxInstances bounds count and for_each; beyond it a typo is likelier than
// a host.
const maxInstances = 4096

// instance is one expansion of a block with count or for_each: its name and
// the context its attributes are evaluated in (count.index, each.key,
// each.value).
type instance struct {
	name string
	ctx  *hcl.EvalContext
}

// expand returns the instances of a resource block. Without count or
// for_each it is the block itself under its label.
func (l *loader) expand(kind string, b *hcl.Block, content *hcl.BodyContent, ctx *hcl.EvalContext) []instance {
	name := b.Labels[0]
	count, hasCount := content.Attributes["count"]
	forEach, hasForEach := content.Attributes["for_each"]
	switch {
	case hasCount && hasForEach:
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  `Invalid combination of "count" and "for_each"`,
			Detail:   fmt.Sprintf("The %s %q sets both count and for_each. Use one of them: count for numbered instances, for_each for named ones.", kind, name),
			Subject:  rangePtr(forEach.NameRange),
		})
		return nil
	case hasCount:
		n, ok := l.integer(count, ctx, 0, maxInstances, "count")
		if !ok {
			return nil
		}
		out := make([]instance, 0, n)
		for i := range int(n) {
			c := ctx.NewChild()
			c.Variables = map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(int64(i))})}
			out = append(out, instance{name: name + "-" + strconv.Itoa(i), ctx: c})
		}
		return out
	case hasForEach:
		return l.forEach(kind, name, forEach, ctx)
	}
	return []instance{{name: name, ctx: ctx}}
}

func (l *loader) forEach(kind, name string, a *hcl.Attribute, ctx *hcl.EvalContext) []instance {
	v, diags := a.Expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return nil
	}
	bad := func(detail string, args ...any) []instance {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid for_each argument",
			Detail:   fmt.Sprintf(detail, args...),
			Subject:  rangePtr(a.Expr.Range()),
		})
		return nil
	}
	if v.IsNull() {
		return bad("The for_each of %s %q is null. It needs a map, or a set of strings.", kind, name)
	}
	type kv struct {
		key string
		val cty.Value
	}
	var elems []kv
	t := v.Type()
	switch {
	case t.IsSetType():
		if !t.ElementType().Equals(cty.String) {
			return bad("The for_each of %s %q is a set of %s; it needs a set of strings (instance names are made from them).", kind, name, t.ElementType().FriendlyName())
		}
		for _, e := range v.AsValueSlice() {
			if e.IsNull() {
				return bad("The for_each set of %s %q holds a null element.", kind, name)
			}
			elems = append(elems, kv{e.AsString(), e})
		}
	case t.IsMapType() || t.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			elems = append(elems, kv{k.AsString(), e})
		}
	case t.IsListType() || t.IsTupleType():
		return bad("The for_each of %s %q is a list. It needs a map, or a set of strings: write toset([...]) so that the instances are named by their values, not by their positions.", kind, name)
	default:
		return bad("The for_each of %s %q is a %s. It needs a map, or a set of strings.", kind, name, t.FriendlyName())
	}
	if len(elems) > maxInstances {
		return bad("The for_each of %s %q has %d elements; at most %d are allowed.", kind, name, len(elems), maxInstances)
	}
	sort.Slice(elems, func(i, j int) bool { return elems[i].key < elems[j].key })
	out := make([]instance, 0, len(elems))
	for _, e := range elems {
		inst := name + "-" + e.key
		if !ValidName(inst) {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid for_each key",
				Detail:   fmt.Sprintf("The for_each key %q makes the instance name %q, which breaks the name rule: %s.", e.key, inst, NameRule),
				Subject:  rangePtr(a.Expr.Range()),
			})
			continue
		}
		c := ctx.NewChild()
		c.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(e.key), "value": e.val})}
		out = append(out, instance{name: inst, ctx: c})
	}
	return out
}
