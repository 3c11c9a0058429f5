package views

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// source renders diagnostics against the files of a configuration in
// time that grows with each diagnostic's own lines, not with the file.
//
// hcl's text writer finds a diagnostic's lines by scanning its file from
// the first byte, grapheme by grapheme, with a new scanner (and a 4 KiB
// buffer) per line: with a thousand unikernels in one file, each
// diagnostic cost a scan of six thousand lines, and a host problem
// reported for every unikernel took 38 s to print. So each diagnostic is
// written by hcl's writer against a window of its file, the lines it
// shows, and the snippet's line numbers are then put back: the same text,
// byte for byte (TestSourceWriterMatchesHCL).
type source struct {
	files map[string]*hcl.File
	index map[string]*lineIndex
}

// lineIndex is where each line of a file starts, as bytes.Split on
// newlines counts lines: a file that ends in a newline has an empty last
// line. loneCR is set when the
// file has a carriage return not followed by a newline: hcl's scanner
// counts that as a line end and its parser does not, so such a file is
// left to hcl's writer whole, to print what it always printed.
type lineIndex struct {
	starts []int
	loneCR bool
}

func newSource(files map[string]*hcl.File) *source {
	return &source{files: files, index: map[string]*lineIndex{}}
}

// lines indexes file name once.
func (s *source) lines(name string) *lineIndex {
	if ix, ok := s.index[name]; ok {
		return ix
	}
	b := s.files[name].Bytes
	ix := &lineIndex{starts: []int{0}}
	for i, c := range b {
		switch {
		case c == '\n':
			ix.starts = append(ix.starts, i+1)
		case c == '\r' && (i+1 == len(b) || b[i+1] != '\n'):
			ix.loneCR = true
		}
	}
	s.index[name] = ix
	return ix
}

// of is the 0-based index of the line holding byte off.
func (ix *lineIndex) of(off int) int {
	return sort.Search(len(ix.starts), func(i int) bool { return ix.starts[i] > off }) - 1
}

// line is the range of line n (1-based) of file name, without its
// newline, as hcl ranges count it.
func (s *source) line(name string, n int) (hcl.Range, bool) {
	f := s.files[name]
	if f == nil || n < 1 {
		return hcl.Range{}, false
	}
	starts := s.lines(name).starts
	if n > len(starts) {
		return hcl.Range{}, false
	}
	start, end := starts[n-1], len(f.Bytes)
	if i := bytes.IndexByte(f.Bytes[start:], '\n'); i >= 0 {
		end = start + i
	}
	return hcl.Range{Filename: name,
		Start: hcl.Pos{Line: n, Column: 1, Byte: start},
		End:   hcl.Pos{Line: n, Column: 1 + end - start, Byte: end}}, true
}

// snippet is lines from to to (1-based) of file name, for -json output.
func (s *source) snippet(name string, from, to int) *Snippet {
	f := s.files[name]
	if f == nil {
		return nil
	}
	starts := s.lines(name).starts
	if from < 1 || from > len(starts) {
		return nil
	}
	to = min(max(to, from), len(starts))
	end := len(f.Bytes)
	if to < len(starts) {
		end = starts[to] - 1
	}
	code := f.Bytes[starts[from-1]:end]
	return &Snippet{Code: strings.TrimRight(string(code), "\r"), StartLine: from}
}

// write prints d as hcl.NewDiagnosticTextWriter does.
func (s *source) write(w io.Writer, d *hcl.Diagnostic, color bool) error {
	win, shifted, first, ok := s.window(d)
	if !ok {
		return hcl.NewDiagnosticTextWriter(w, s.files, 78, color).WriteDiagnostic(d)
	}
	var buf bytes.Buffer
	files := map[string]*hcl.File{d.Subject.Filename: win}
	if err := hcl.NewDiagnosticTextWriter(&buf, files, 78, color).WriteDiagnostic(shifted); err != nil {
		return err
	}
	out, ok := renumber(buf.Bytes(), len(lead(d, color)), header(shifted, win), first-1)
	if !ok {
		return hcl.NewDiagnosticTextWriter(w, s.files, 78, color).WriteDiagnostic(d)
	}
	_, err := w.Write(out)
	return err
}

// lead is the writer's first line and the blank line after it.
func lead(d *hcl.Diagnostic, color bool) string {
	sev, on, off := "???????", "", ""
	switch d.Severity {
	case hcl.DiagError:
		sev, on = "Error", "\x1b[31m"
	case hcl.DiagWarning:
		sev, on = "Warning", "\x1b[33m"
	}
	if !color {
		on = ""
	} else {
		off = "\x1b[0m"
	}
	return fmt.Sprintf("%s%s%s: %s\n\n", on, sev, off, d.Summary)
}

// header is the writer's "  on FILE line N, in BLOCK:" line for d in
// win, worked out as the writer does: the file name may hold anything,
// a newline too, so the line is not found by searching.
func header(d *hcl.Diagnostic, win *hcl.File) string {
	where := ""
	if c, ok := win.Nav.(interface{ ContextString(int) string }); ok {
		if where = c.ContextString(d.Subject.Start.Byte); where != "" {
			where = ", in " + where
		}
	}
	return fmt.Sprintf("  on %s line %d%s:\n", d.Subject.Filename, d.Subject.Start.Line, where)
}

// window returns the lines of d's file that its snippet shows, as a file
// of their own, d with its ranges moved into it, and the number of the
// window's first line; ok is false when d has no snippet or ranges that
// do not fit its file (hcl's writer then gets the whole file, as before).
func (s *source) window(d *hcl.Diagnostic) (win *hcl.File, shifted *hcl.Diagnostic, first int, ok bool) {
	if d == nil || d.Subject == nil {
		return nil, nil, 0, false
	}
	f := s.files[d.Subject.Filename]
	if f == nil || f.Bytes == nil || s.lines(d.Subject.Filename).loneCR {
		return nil, nil, 0, false
	}
	n := len(f.Bytes)
	snip := *d.Subject
	if d.Context != nil {
		if d.Context.Filename != snip.Filename || !fits(*d.Context, n) {
			return nil, nil, 0, false
		}
		snip = hcl.RangeOver(snip, *d.Context)
	}
	if !fits(*d.Subject, n) || !fits(snip, n) {
		return nil, nil, 0, false
	}
	if snip.Empty() { // as the writer widens it
		snip.End.Byte++
	}
	ix := s.lines(d.Subject.Filename)
	lo, hi := ix.of(snip.Start.Byte), ix.of(snip.End.Byte)
	from, to := ix.starts[lo], n
	if hi+1 < len(ix.starts) {
		to = ix.starts[hi+1]
	}
	sd := *d
	sub := shift(*d.Subject, from)
	sd.Subject = &sub
	if d.Context != nil {
		ctx := shift(*d.Context, from)
		sd.Context = &ctx
	}
	return &hcl.File{Bytes: f.Bytes[from:to], Nav: shiftedNav{f.Nav, from}}, &sd, lo + 1, true
}

// fits reports whether r's bytes lie in a file of n bytes, in order.
func fits(r hcl.Range, n int) bool {
	return 0 <= r.Start.Byte && r.Start.Byte <= r.End.Byte && r.End.Byte <= n
}

// shift moves r's byte offsets back by off; lines and columns stay, as
// the writer prints them.
func shift(r hcl.Range, off int) hcl.Range {
	r.Start.Byte -= off
	r.End.Byte -= off
	return r
}

// shiftedNav answers the writer's question "in what block is this
// offset" (", in unikernel \"web\"") for a window starting at off.
type shiftedNav struct {
	nav any
	off int
}

func (n shiftedNav) ContextString(offset int) string {
	if c, ok := n.nav.(interface{ ContextString(int) string }); ok {
		return c.ContextString(offset + n.off)
	}
	return ""
}

// renumber adds by to the numbers of the snippet lines in out, the
// writer's output: after the lead (at) comes the header line, then one
// "%4d: text" line per source line, then a blank line. ok is false when
// out is not of that shape.
func renumber(out []byte, at int, header string, by int) ([]byte, bool) {
	if at > len(out) || !bytes.HasPrefix(out[at:], []byte(header)) {
		return nil, false
	}
	body := at + len(header)
	res := append([]byte(nil), out[:body]...)
	rest := out[body:]
	for {
		end := bytes.IndexByte(rest, '\n')
		if end < 0 {
			return nil, false
		}
		if end == 0 { // the blank line that ends the snippet
			return append(res, rest...), true
		}
		num, text, found := bytes.Cut(rest[:end+1], []byte(": "))
		n, err := strconv.Atoi(string(bytes.TrimLeft(num, " ")))
		if !found || err != nil {
			return nil, false
		}
		res = fmt.Appendf(res, "%4d: %s", n+by, text)
		rest = rest[end+1:]
	}
}
