package config

import (
	"fmt"
	"math/big"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// value evaluates a and converts it to want. ok is false when the attribute
// is null or when evaluation failed (then a diagnostic was recorded, or an
// unknown value shows that one was recorded earlier).
func (l *loader) value(a *hcl.Attribute, ctx *hcl.EvalContext, want cty.Type) (cty.Value, bool) {
	v, diags := a.Expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	if v.IsNull() {
		return cty.NilVal, false
	}
	conv, err := convert.Convert(v, want)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity:    hcl.DiagError,
			Summary:     "Incorrect attribute value type",
			Detail:      fmt.Sprintf("Inappropriate value for attribute %q: %s.", a.Name, err),
			Subject:     rangePtr(a.Expr.Range()),
			Expression:  a.Expr,
			EvalContext: ctx,
		})
		return cty.NilVal, false
	}
	return conv, true
}

func (l *loader) invalid(a *hcl.Attribute, summary, detail string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  rangePtr(a.Expr.Range()),
	})
}

func (l *loader) str(a *hcl.Attribute, ctx *hcl.EvalContext) (string, bool) {
	v, ok := l.value(a, ctx, cty.String)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

// int64Of converts a known number to an int64 if it is whole and fits.
func int64Of(v cty.Value) (int64, bool) {
	i, acc := v.AsBigFloat().Int64()
	return i, acc == big.Exact
}

// integer evaluates a whole number in [min, max]; what names the quantity in
// messages ("memory in MiB").
func (l *loader) integer(a *hcl.Attribute, ctx *hcl.EvalContext, min, max int64, what string) (int64, bool) {
	v, ok := l.value(a, ctx, cty.Number)
	if !ok {
		return 0, false
	}
	i, whole := int64Of(v)
	if !whole {
		l.invalid(a, "Invalid value", "The %s must be a whole number, not %s.", what, v.AsBigFloat().Text('g', -1))
		return 0, false
	}
	if i < min || i > max {
		l.invalid(a, "Value out of range", "The %s must be between %d and %d; %d is not.", what, min, max, i)
		return 0, false
	}
	return i, true
}

func (l *loader) strings(a *hcl.Attribute, ctx *hcl.EvalContext) ([]string, bool) {
	v, ok := l.value(a, ctx, cty.List(cty.String))
	if !ok {
		return nil, false
	}
	var out []string
	for _, e := range v.AsValueSlice() {
		if e.IsNull() {
			l.invalid(a, "Invalid value", "The list %q must not hold null elements.", a.Name)
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

func (l *loader) integers(a *hcl.Attribute, ctx *hcl.EvalContext, min, max int64, what string) ([]int, bool) {
	v, ok := l.value(a, ctx, cty.List(cty.Number))
	if !ok {
		return nil, false
	}
	var out []int
	for _, e := range v.AsValueSlice() {
		if e.IsNull() {
			l.invalid(a, "Invalid value", "The list %q must not hold null elements.", a.Name)
			return nil, false
		}
		i, whole := int64Of(e)
		if !whole || i < min || i > max {
			l.invalid(a, "Invalid value", "Each %s must be a whole number between %d and %d; %s is not.", what, min, max, e.AsBigFloat().Text('g', -1))
			return nil, false
		}
		out = append(out, int(i))
	}
	return out, true
}

// duration evaluates a Go duration string ("10s", "1m30s") that must be
// positive, or at least zero when allowZero.
func (l *loader) duration(a *hcl.Attribute, ctx *hcl.EvalContext, allowZero bool) (time.Duration, bool) {
	s, ok := l.str(a, ctx)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		l.invalid(a, "Invalid duration", "%q is not a duration. Write a number with a unit, such as \"500ms\", \"10s\", \"5m\" or \"1h\".", s)
		return 0, false
	}
	if d < 0 || (d == 0 && !allowZero) {
		l.invalid(a, "Invalid duration", "The duration %q must be positive.", s)
		return 0, false
	}
	return d, true
}

// path evaluates a file path; a relative one is taken from the directory of
// the file that says it.
func (l *loader) path(a *hcl.Attribute, ctx *hcl.EvalContext) (string, bool) {
	p, ok := l.str(a, ctx)
	if !ok {
		return "", false
	}
	if p == "" {
		l.invalid(a, "Invalid path", "The path %q must not be empty.", a.Name)
		return "", false
	}
	return l.resolve(a.Expr.Range().Filename, p), true
}

func (l *loader) resolve(file, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(l.fileDir(file), p)
}

// fileDir is the absolute directory of the configuration file named
// file, worked out once per file: filepath.Abs asks the working directory
// each time, two stat calls for each path of a thousand unikernels.
func (l *loader) fileDir(file string) string {
	if d, ok := l.fileDirs[file]; ok {
		return d
	}
	dir := filepath.Dir(file)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if l.fileDirs == nil {
		l.fileDirs = map[string]string{}
	}
	l.fileDirs[file] = dir
	return dir
}
