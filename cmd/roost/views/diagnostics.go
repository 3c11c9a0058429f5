package views

import (
	"io"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostic is one problem, in the shape Terraform's -json output uses.
// Consumers may rely on severity ("error" or "warning"), summary and detail;
// range and snippet are present when the problem has a place in a file.
type Diagnostic struct {
	Severity string   `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	Range    *Range   `json:"range,omitempty"`
	Snippet  *Snippet `json:"snippet,omitempty"`
}

// Range is a span of a file; lines and columns count from 1, bytes from 0.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Pos is a position in a file.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// Snippet is the source line(s) a diagnostic points at.
type Snippet struct {
	Code      string `json:"code"`
	StartLine int    `json:"start_line"`
}

// JSONDiagnostics converts diags; files supplies snippets.
func JSONDiagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	src := newSource(files)
	for _, d := range diags {
		jd := Diagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if s := d.Subject; s != nil {
			jd.Range = &Range{
				Filename: s.Filename,
				Start:    Pos{s.Start.Line, s.Start.Column, s.Start.Byte},
				End:      Pos{s.End.Line, s.End.Column, s.End.Byte},
			}
			jd.Snippet = src.snippet(s.Filename, s.Start.Line, s.End.Line)
		}
		out = append(out, jd)
	}
	return out
}

// WriteDiagnostics prints diags as HCL does, with file, line and the
// source lines they point at.
func WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, color bool) error {
	src := newSource(files)
	for _, d := range diags {
		if err := src.write(w, d, color); err != nil {
			return err
		}
	}
	return nil
}
