package views

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planjson"
)

// Colors is a palette; the zero value prints no escape codes.
type Colors struct {
	Green, Red, Yellow, Cyan, Magenta, Bold, Reset string
}

// NewColors returns ANSI colors when on is true.
func NewColors(on bool) Colors {
	if !on {
		return Colors{}
	}
	return Colors{Green: "\x1b[32m", Red: "\x1b[31m", Yellow: "\x1b[33m", Cyan: "\x1b[36m", Magenta: "\x1b[35m", Bold: "\x1b[1m", Reset: "\x1b[0m"}
}

func (c Colors) action(a string) string {
	switch a {
	case "create":
		return c.Green
	case "start":
		return c.Cyan
	case "update":
		return c.Yellow
	case "replace":
		return c.Magenta
	case "delete":
		return c.Red
	case "move":
		return c.Cyan
	}
	return ""
}

// WritePlan renders p for people, Terraform style: one block per change
// with its symbol, reasons and field diffs, then what is retained and what
// is not running by policy, and the summary as the last line.
func WritePlan(w io.Writer, p *planjson.Plan, c Colors) {
	if len(p.Changes) == 0 {
		fmt.Fprintf(w, "%sNo changes.%s The host matches the configuration.\n", c.Bold, c.Reset)
	} else {
		fmt.Fprintln(w, "roost will perform the following actions:")
		for _, ch := range p.Changes {
			fmt.Fprintln(w)
			writeChange(w, ch, c)
		}
	}
	if len(p.Retained) > 0 {
		fmt.Fprintf(w, "\nRetained (not in the configuration; kept with their data, -allow-data-loss deletes them):\n")
		for _, r := range p.Retained {
			fmt.Fprintf(w, "  block %q (%s)\n", r.Name, plan.MiBText(r.SizeBytes, 1))
		}
	}
	if len(p.NotRunning) > 0 {
		fmt.Fprintf(w, "\nNot running by policy (roost apply -replace NAME starts one again):\n")
		for _, n := range p.NotRunning {
			fmt.Fprintf(w, "  unikernel %q: %s, %s\n", n.Name, n.State, n.LastExit)
		}
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "\n%sWarning:%s %s\n", c.Yellow, c.Reset, warn)
	}
	fmt.Fprintf(w, "\n%s\n", SummaryLine(p))
}

// SummaryLine is the plan's last line.
func SummaryLine(p *planjson.Plan) string {
	s := p.Summary
	line := fmt.Sprintf("Plan: %d to add, %d to change, %d to replace, %d to destroy", s.Add, s.Change, s.Replace, s.Destroy)
	if s.Move > 0 {
		// Only when there are moves, so that plans without stay as
		// they were.
		line += fmt.Sprintf(", %d to move", s.Move)
	}
	return line + "."
}

func writeChange(w io.Writer, ch planjson.Change, c Colors) {
	col := c.action(ch.Action)
	header := fmt.Sprintf("  # %s will be %s", ch.Address, doneVerbs[ch.Action])
	if ch.Action == "move" {
		// Terraform's words for a move that changes nothing else.
		header = fmt.Sprintf("  # %s has moved to %s", ch.MovedFrom, ch.Address)
	}
	if len(ch.Reasons) > 0 {
		header += ": " + strings.Join(ch.Reasons, "; ")
	}
	fmt.Fprintf(w, "%s%s%s\n", c.Bold, header, c.Reset)
	if ch.MovedFrom != "" && ch.Action != "move" {
		fmt.Fprintf(w, "%s  # (moved from %s)%s\n", c.Bold, ch.MovedFrom, c.Reset)
	}
	fmt.Fprintf(w, "%s%3s%s %s %q", col, ch.Symbol, c.Reset, ch.Kind, ch.Name)
	if len(ch.Fields) == 0 {
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintln(w, " {")
	width := 0
	for _, f := range ch.Fields {
		width = max(width, len(f.Name))
	}
	for _, f := range ch.Fields {
		sym, fc := "~", c.Yellow
		switch {
		case f.Before == "":
			sym, fc = "+", c.Green
		case f.After == "":
			sym, fc = "-", c.Red
		}
		line := fmt.Sprintf("      %s%s%s %-*s = ", fc, sym, c.Reset, width, f.Name)
		switch sym {
		case "+":
			line += f.After
		case "-":
			line += f.Before
		default:
			line += f.Before + " -> " + f.After
		}
		if f.ForcesReplacement {
			line += fmt.Sprintf(" %s# forces replacement%s", c.Red, c.Reset)
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "    }")
}

// WriteProblems prints a plan's failed host checks, one per line, as
// errors.
func WriteProblems(w io.Writer, p *planjson.Plan, c Colors, files map[string]*hcl.File) {
	for _, pr := range p.Problems {
		where := ""
		if pr.File != "" {
			where = fmt.Sprintf(" (%s:%d)", pr.File, pr.Line)
		}
		if rng, ok := lineRange(files, pr.File, pr.Line); ok {
			// Show the source line as config diagnostics do (issue 8,
			// finding 13), keeping the one-line summary first.
			d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("%s%s: %s", pr.Resource, where, pr.Message), Subject: &rng}
			if err := hcl.NewDiagnosticTextWriter(w, files, 78, c.Red != "").WriteDiagnostic(d); err == nil {
				continue
			}
		}
		fmt.Fprintf(w, "%sError:%s %s%s: %s\n", c.Red, c.Reset, pr.Resource, where, pr.Message)
	}
}

// lineRange is the range of line (1-based) of file among files.
func lineRange(files map[string]*hcl.File, file string, line int) (hcl.Range, bool) {
	f := files[file]
	if f == nil || line < 1 {
		return hcl.Range{}, false
	}
	b := f.Bytes
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return hcl.Range{}, false
		}
		off += i + 1
	}
	end := len(b)
	if i := bytes.IndexByte(b[off:], '\n'); i >= 0 {
		end = off + i
	}
	return hcl.Range{Filename: file,
		Start: hcl.Pos{Line: line, Column: 1, Byte: off},
		End:   hcl.Pos{Line: line, Column: 1 + end - off, Byte: end}}, true
}

// doneVerbs say what each action does, for the plan ("will be
// created") and for finished steps ("created in 1.2s").
var doneVerbs = map[string]string{
	"create": "created", "start": "started", "update": "updated in place", "replace": "replaced", "delete": "destroyed",
	"move": "moved",
}

// Done says what a finished step did: "created", "replaced", ...
func Done(action string) string { return doneVerbs[action] }

// WriteStep prints one line for a step of apply: started steps are not
// shown (steps run in parallel; a line per end reads better), finished ones
// with their time, failures with the error.
func WriteStep(w io.Writer, address, action, phase string, d time.Duration, err error, c Colors) {
	switch phase {
	case "done":
		fmt.Fprintf(w, "%s: %s%s%s in %s\n", address, c.action(action), doneVerbs[action], c.Reset, roundDuration(d))
	case "failed":
		fmt.Fprintf(w, "%s: %sfailed%s after %s: %v\n", address, c.Red, c.Reset, roundDuration(d), err)
	case "skipped":
		fmt.Fprintf(w, "%s: %sskipped%s: %v\n", address, c.Yellow, c.Reset, err)
	}
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}
