package views

import (
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

// WriteProblems prints a plan's failed host checks as errors, each with
// the source line it is about. A check that fails alike for many
// resources (a device node's mode, for every unikernel) is printed once
// in full and then as a list of the others, not a thousand times.
func WriteProblems(w io.Writer, p *planjson.Plan, c Colors, files map[string]*hcl.File) {
	src := newSource(files)
	alike := map[string][]planjson.Problem{} // by message, the ones after the first
	var firsts []planjson.Problem
	for _, pr := range p.Problems {
		if more, seen := alike[pr.Message]; seen {
			alike[pr.Message] = append(more, pr)
			continue
		}
		alike[pr.Message] = nil
		firsts = append(firsts, pr)
	}
	for _, pr := range firsts {
		block := writeProblem(w, src, pr, c)
		if more := alike[pr.Message]; len(more) > 0 {
			writeAlike(w, more, block)
		}
	}
}

// problemsListed is how many of the resources a problem is alike for are
// named; -json lists all.
const problemsListed = 5

// writeProblem prints pr, as a block that ends in a blank line when its
// source line is known (block is then true), else as one line.
func writeProblem(w io.Writer, src *source, pr planjson.Problem, c Colors) (block bool) {
	where := problemWhere(pr)
	if rng, ok := src.line(pr.File, pr.Line); ok {
		// Show the source line as config diagnostics do (issue 8,
		// finding 13), keeping the one-line summary first.
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: pr.Resource + where + ": " + pr.Message, Subject: &rng}
		if err := src.write(w, d, c.Red != ""); err == nil {
			return true
		}
	}
	fmt.Fprintf(w, "%sError:%s %s%s: %s\n", c.Red, c.Reset, pr.Resource, where, pr.Message)
	return false
}

func problemWhere(pr planjson.Problem) string {
	if pr.File == "" {
		return ""
	}
	return fmt.Sprintf(" (%s:%d)", pr.File, pr.Line)
}

// writeAlike says which other resources the problem just printed is
// also about: "  The same for 2 more: unikernel.b (main.hcl:9),
// unikernel.c (main.hcl:14)."
func writeAlike(w io.Writer, more []planjson.Problem, block bool) {
	names := make([]string, len(more))
	for i, pr := range more {
		names[i] = pr.Resource + problemWhere(pr)
	}
	fmt.Fprintf(w, "  The same for %s.\n", alikeList(names))
	if block {
		fmt.Fprintln(w)
	}
}

// alikeList is "N more: A, B, C, D, E and K others (-json lists each)",
// naming problemsListed of names.
func alikeList(names []string) string {
	list := strings.Join(names[:min(len(names), problemsListed)], ", ")
	if n := len(names) - problemsListed; n > 0 {
		list += fmt.Sprintf(" and %d others (-json lists each)", n)
	}
	return fmt.Sprintf("%d more: %s", len(names), list)
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
