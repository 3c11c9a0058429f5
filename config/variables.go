package config

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
	},
}

// EnvVarPrefix is the prefix of environment variables that set variables:
// ROOST_VAR_mem=128 sets var.mem.
const EnvVarPrefix = "ROOST_VAR_"

type variable struct {
	name     string
	typ      cty.Type
	def      cty.Value // cty.NilVal: no default
	declRng  hcl.Range
	value    cty.Value
	hasValue bool
}

// variables resolves every declared variable to a value: its default,
// overridden by ROOST_VAR_<name>, then by -var-file files in order, then by
// -var arguments in order (Terraform's precedence).
func (l *loader) variables() map[string]cty.Value {
	vars := map[string]*variable{}
	var order []string
	for _, b := range l.duplicates("variable", l.decls.variables) {
		v := l.decodeVariable(b)
		if v == nil {
			continue
		}
		vars[v.name] = v
		order = append(order, v.name)
	}

	environ := l.opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvVarPrefix) {
			continue
		}
		name = strings.TrimPrefix(name, EnvVarPrefix)
		if v, ok := vars[name]; ok {
			l.setRaw(v, val, "environment variable "+EnvVarPrefix+name)
		}
	}
	for _, file := range l.opts.VarFiles {
		l.varFile(file, vars)
	}
	for _, arg := range l.opts.Vars {
		name, val, ok := strings.Cut(arg, "=")
		if !ok || name == "" {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid -var option",
				Detail:   fmt.Sprintf("The -var option %q is not name=value. Give a variable as -var name=value.", arg),
			})
			continue
		}
		v, ok := vars[name]
		if !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("The -var option sets %q, but no variable %q is declared. Declare it with a variable %q block.", name, name, name),
			})
			continue
		}
		l.setRaw(v, val, "-var "+name)
	}

	out := map[string]cty.Value{}
	for _, name := range order {
		v := vars[name]
		switch {
		case v.hasValue:
			out[name] = v.value
		case v.def != cty.NilVal:
			out[name] = v.def
		default:
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail:   fmt.Sprintf("The variable %q has no default, and no value was given. Set it with -var %s=..., a -var-file, or the environment variable %s%s.", name, name, EnvVarPrefix, name),
				Subject:  rangePtr(v.declRng),
			})
			out[name] = cty.DynamicVal
		}
	}
	return out
}

func (l *loader) decodeVariable(b *hcl.Block) *variable {
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid variable name",
			Detail:   fmt.Sprintf("%q is not a valid variable name: it must start with a letter and hold only letters, digits, underscores and dashes.", name),
			Subject:  rangePtr(b.LabelRanges[0]),
		})
		return nil
	}
	content, diags := b.Body.Content(variableSchema)
	l.diags = append(l.diags, diags...)
	v := &variable{name: name, typ: cty.DynamicPseudoType, declRng: b.DefRange}
	if a, ok := content.Attributes["type"]; ok {
		t, diags := typeexpr.TypeConstraint(a.Expr)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			v.typ = t
		}
	}
	if a, ok := content.Attributes["description"]; ok {
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() && !val.Type().Equals(cty.String) {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid variable description",
				Detail:   "A variable's description must be a string.",
				Subject:  rangePtr(a.Expr.Range()),
			})
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			conv, err := convert.Convert(val, v.typ)
			if err != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail:   fmt.Sprintf("The default of variable %q does not fit its type %s: %s.", name, typeexpr.TypeString(v.typ), err),
					Subject:  rangePtr(a.Expr.Range()),
				})
				v.def = cty.DynamicVal // reported; not "no value" as well
			} else {
				v.def = conv
			}
		}
	}
	return v
}

// setRaw sets v from a string given outside HCL files. Strings are taken as
// they are; other types are parsed as HCL expressions, so -var 'cpus=[0,1]'
// works as in Terraform.
func (l *loader) setRaw(v *variable, raw, from string) {
	var val cty.Value
	if v.typ == cty.String || v.typ == cty.DynamicPseudoType {
		val = cty.StringVal(raw)
	} else {
		var expr hclsyntax.Expression
		var diags hcl.Diagnostics
		if d := checkNesting([]byte(raw), from, hcl.InitialPos, true); d != nil {
			diags = hcl.Diagnostics{d}
		} else {
			expr, diags = hclsyntax.ParseExpression([]byte(raw), from, hcl.InitialPos)
		}
		if !diags.HasErrors() {
			val, diags = expr.Value(nil)
		}
		if diags.HasErrors() {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   fmt.Sprintf("The value %q from %s is not a valid %s for variable %q: %s.", shorten(raw), from, typeexpr.TypeString(v.typ), v.name, diags[0].Detail),
			})
			return
		}
	}
	l.setValue(v, val, from, nil)
}

func (l *loader) setValue(v *variable, val cty.Value, from string, subject *hcl.Range) {
	conv, err := convert.Convert(val, v.typ)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("The value from %s for variable %q does not fit its type %s: %s.", from, v.name, typeexpr.TypeString(v.typ), err),
			Subject:  subject,
		})
		return
	}
	v.value, v.hasValue = conv, true
}

func (l *loader) varFile(file string, vars map[string]*variable) {
	f, diags := l.parseFile(file, "variables file")
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	attrs, diags := f.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := attrs[name]
		v, ok := vars[name]
		if !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("The file %s sets %q, but no variable %q is declared; the value is ignored.", file, name, name),
				Subject:  rangePtr(a.NameRange),
			})
			continue
		}
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		l.setValue(v, val, file, rangePtr(a.Expr.Range()))
	}
}

// shorten cuts a value quoted in a diagnostic to 64 bytes: a -var can be
// as long as the command line allows.
func shorten(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
