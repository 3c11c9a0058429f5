package views

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// sources are files to point diagnostics into: empty, without a last
// newline, CRLF, blank lines, multi-byte and multi-rune graphemes, a
// lone carriage return (left to hcl's writer whole), and real HCL with
// blocks, so that ", in unikernel ..." comes from the file's Nav.
var sources = []string{
	"",
	"a",
	"a\n",
	"\n\n\n",
	"ab\ncd\n\nef",
	"x = 1\r\ny = 2\r\n",
	"é = \"ü👍🏽x\"\n\nz = \"\u0301\"\n",
	"a\rb\nc\n",
	"unikernel \"web\" {\n  image = \"web.hvt\"\n  memory = 32\n}\n\nunikernel \"db\" {\n  memory = \"x\"\n}\n",
}

// compare writes d with hcl's writer over the whole file and with the
// window, with and without colour, and fails on any difference.
func compare(t *testing.T, files map[string]*hcl.File, d *hcl.Diagnostic) {
	t.Helper()
	for _, color := range []bool{false, true} {
		var want, got bytes.Buffer
		werr := hcl.NewDiagnosticTextWriter(&want, files, 78, color).WriteDiagnostic(d)
		gerr := newSource(files).write(&got, d, color)
		if (werr == nil) != (gerr == nil) || want.String() != got.String() {
			t.Fatalf("diagnostic %+v (subject %+v, context %+v), color %v:\nhcl:\n%q (%v)\nwindow:\n%q (%v)",
				d, d.Subject, d.Context, color, want.String(), werr, got.String(), gerr)
		}
	}
}

func parsed(t *testing.T, src string) map[string]*hcl.File {
	t.Helper()
	f, _ := hclparse.NewParser().ParseHCL([]byte(src), "main.hcl")
	if f == nil || f.Bytes == nil {
		f = &hcl.File{Bytes: []byte(src)}
	}
	return map[string]*hcl.File{"main.hcl": f}
}

// rangeOf is bytes from to to of src. Of lines and columns the writer
// prints only the subject's start line; columns here count bytes.
func rangeOf(src string, from, to int) hcl.Range {
	pos := func(off int) hcl.Pos {
		before := src[:min(max(off, 0), len(src))]
		return hcl.Pos{Line: 1 + strings.Count(before, "\n"), Column: 1 + len(before) - (strings.LastIndex(before, "\n") + 1), Byte: off}
	}
	return hcl.Range{Filename: "main.hcl", Start: pos(from), End: pos(to)}
}

// TestSourceWriterMatchesHCL writes every range of every file, alone and
// with every context of up to one line around it, both ways.
func TestSourceWriterMatchesHCL(t *testing.T) {
	for _, src := range sources {
		files := parsed(t, src)
		n := len(src)
		for from := 0; from <= n; from++ {
			for to := from; to <= n; to++ {
				sub := rangeOf(src, from, to)
				compare(t, files, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "s", Detail: "d", Subject: &sub})
				for _, ctx := range []hcl.Range{rangeOf(src, max(from-4, 0), to), rangeOf(src, from, min(to+5, n)), rangeOf(src, 0, n)} {
					compare(t, files, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "s", Subject: &sub, Context: &ctx})
				}
			}
		}
	}
}

// TestSourceWriterOddDiagnostics covers what the window cannot take and
// leaves to hcl's writer: no subject, a file not known, no source, ranges
// outside the file or backwards, a context in another file; and what hcl
// itself adds after the snippet (values of an expression's variables).
func TestSourceWriterOddDiagnostics(t *testing.T) {
	src := sources[len(sources)-1]
	files := parsed(t, src)
	files["nosource.hcl"] = &hcl.File{}
	in := rangeOf(src, 20, 30)
	other := in
	other.Filename = "other.hcl"
	past := rangeOf(src, len(src), len(src))
	past.End.Byte += 3
	back := rangeOf(src, 30, 20)
	neg := rangeOf(src, 0, 5)
	neg.Start.Byte = -1
	unknown := in
	unknown.Filename = "unknown.hcl"
	nosrc := in
	nosrc.Filename = "nosource.hcl"
	for i, d := range []*hcl.Diagnostic{
		{Severity: hcl.DiagError, Summary: "no subject", Detail: "detail"},
		{Severity: hcl.DiagError, Summary: "unknown file", Subject: &unknown},
		{Severity: hcl.DiagError, Summary: "no source", Subject: &nosrc},
		{Severity: hcl.DiagError, Summary: "context elsewhere", Subject: &in, Context: &other},
		{Severity: hcl.DiagError, Summary: "past the end", Subject: &past},
		{Severity: hcl.DiagError, Summary: "backwards", Subject: &back},
		{Severity: hcl.DiagError, Summary: "negative", Subject: &in, Context: &neg},
		{Severity: hcl.DiagInvalid, Summary: "no severity", Subject: &in},
		{Severity: hcl.DiagError, Summary: "  on main.hcl line 3\n\n  on main.hcl line 3", Detail: strings.Repeat("long detail ", 20), Subject: &in},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) { compare(t, files, d) })
	}
	t.Run("newline in the file name", func(t *testing.T) {
		// The header line cannot be found by searching for a newline.
		name := "/etc/roost/a\n1: b.hcl"
		src := "x = 1\ny = 2\nz = 3\n"
		files := map[string]*hcl.File{name: {Bytes: []byte(src)}}
		sub := rangeOf(src, 12, 17)
		sub.Filename = name
		compare(t, files, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "s", Subject: &sub})
	})
	t.Run("expression", func(t *testing.T) {
		src := src + "unikernel \"app\" {\n  cpus = var.a + 1\n}\n"
		files := parsed(t, src)
		body := files["main.hcl"].Body.(*hclsyntax.Body)
		expr := body.Blocks[len(body.Blocks)-1].Body.Attributes["cpus"].Expr
		ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")})}}
		_, diags := expr.Value(ctx)
		if len(diags) == 0 || diags[0].Expression == nil || diags[0].Subject == nil {
			t.Fatalf("want a diagnostic with an expression and a subject, got %v", diags)
		}
		for _, d := range diags {
			compare(t, files, d)
		}
	})
}

// fleet is a configuration of n unikernels, six lines each.
func fleet(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "unikernel \"u%d\" {\n  image  = \"u.hvt\"\n  memory = 8\n  net \"service\" {}\n}\n\n", i)
	}
	return b.String()
}

// TestSourceWindowIsTheSnippet checks that a diagnostic deep in a large
// file is written from its own lines, not from the whole file.
func TestSourceWindowIsTheSnippet(t *testing.T) {
	src := fleet(1000)
	files := parsed(t, src)
	s := newSource(files)
	rng, ok := s.line("main.hcl", 5997)
	if !ok {
		t.Fatal("line 5997 not found")
	}
	win, _, first, ok := s.window(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "s", Subject: &rng})
	if !ok || first != 5997 || string(win.Bytes) != "  memory = 8\n" {
		t.Fatalf("window = %q from line %d (ok %v), want line 5997 alone", win.Bytes, first, ok)
	}
	compare(t, files, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "s", Subject: &rng})
}

// BenchmarkWriteProblemDiagnostics writes two diagnostics for each
// unikernel of a thousand, as a host without /dev/kvm access gives:
// hcl's writer over the whole file against the window.
func BenchmarkWriteProblemDiagnostics(b *testing.B) {
	src := fleet(1000)
	f, _ := hclparse.NewParser().ParseHCL([]byte(src), "main.hcl")
	files := map[string]*hcl.File{"main.hcl": f}
	var diags hcl.Diagnostics
	for i := range 1000 {
		for _, l := range []int{6*i + 1, 6*i + 4} {
			rng, _ := newSource(files).line("main.hcl", l)
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "host problem", Subject: &rng})
		}
	}
	b.Run("hcl", func(b *testing.B) {
		for b.Loop() {
			if err := hcl.NewDiagnosticTextWriter(io.Discard, files, 78, false).WriteDiagnostics(diags); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("window", func(b *testing.B) {
		for b.Loop() {
			if err := WriteDiagnostics(io.Discard, diags, files, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}
