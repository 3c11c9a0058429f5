package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// evalContext returns the context every resource attribute is evaluated in:
// var, local and the functions. It resolves variables and locals on the way.
func (l *loader) evalContext() *hcl.EvalContext {
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{},
		Functions: functions(l.absDir),
	}
	ctx.Variables["var"] = cty.ObjectVal(l.variables())
	ctx.Variables["local"] = cty.ObjectVal(l.locals(ctx))
	return ctx
}

// locals evaluates every local value in dependency order. A local that
// refers to itself through others is reported once per cycle.
func (l *loader) locals(ctx *hcl.EvalContext) map[string]cty.Value {
	exprs := map[string]*hcl.Attribute{}
	for _, a := range l.decls.locals {
		if first, ok := exprs[a.Name]; ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate local value definition",
				Detail:   fmt.Sprintf("A local value named %q was already defined at %s. Local value names must be unique.", a.Name, first.NameRange),
				Subject:  rangePtr(a.NameRange),
			})
			continue
		}
		exprs[a.Name] = a
	}
	names := make([]string, 0, len(exprs))
	for name := range exprs {
		names = append(names, name)
	}
	sort.Strings(names)

	values := map[string]cty.Value{}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		switch state[name] {
		case done:
			return
		case visiting:
			i := len(stack) - 1
			for i > 0 && stack[i] != name {
				i--
			}
			cycle := append(append([]string(nil), stack[i:]...), name)
			a := exprs[name]
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cycle in local values",
				Detail:   fmt.Sprintf("The local values refer to each other in a cycle: local.%s. Break the cycle.", strings.Join(cycle, " -> local.")),
				Subject:  rangePtr(a.NameRange),
			})
			values[name] = cty.DynamicVal
			return
		}
		state[name] = visiting
		stack = append(stack, name)
		a := exprs[name]
		for _, tr := range a.Expr.Variables() {
			if tr.RootName() != "local" || len(tr) < 2 {
				continue
			}
			ref, ok := tr[1].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			if _, declared := exprs[ref.Name]; declared {
				visit(ref.Name)
			}
		}
		stack = stack[:len(stack)-1]
		if _, failed := values[name]; !failed {
			local := &hcl.EvalContext{Variables: map[string]cty.Value{
				"var":   ctx.Variables["var"],
				"local": cty.ObjectVal(values),
			}, Functions: ctx.Functions}
			v, diags := a.Expr.Value(local)
			l.diags = append(l.diags, diags...)
			if diags.HasErrors() {
				v = cty.DynamicVal
			}
			values[name] = v
		}
		state[name] = done
	}
	for _, name := range names {
		visit(name)
	}
	return values
}
