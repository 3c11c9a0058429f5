package views

import (
	"fmt"
	"github.com/hashicorp/hcl/v2"
	"io"
	"sync"
	"time"

	"github.com/roostd/roost/plan/planjson"
)

// Streams are where a command's view writes, each with its palette.
type Streams struct {
	Stdout, Stderr             io.Writer
	StdoutColors, StderrColors Colors
	// Files are the configuration's files, so that problems with a
	// position show their source line; nil shows file:line only.
	Files map[string]*hcl.File
}

// Apply shows apply or destroy as it goes: the plan, each step, and how
// it ended (terraform internal/command/views/apply.go). NewApply returns
// the human view or the JSON lines one.
type Apply interface {
	// Problems shows a plan whose host checks failed; nothing is applied.
	Problems(p *planjson.Plan)
	// Plan shows the plan about to be applied.
	Plan(p *planjson.Plan)
	// Running is called once the plan is approved, before its first step.
	Running()
	// Step shows a step's progress. Steps run in parallel: Step may be
	// called from several goroutines and serializes its lines.
	Step(s Step)
	// Outcome shows how the apply ended.
	Outcome(o Outcome)
}

// Step is a step's progress, as apply reports it.
type Step struct {
	Address string // "unikernel.web"
	// Action is the change's action: "create", "start", "update",
	// "replace", "delete".
	Action string
	// Phase is "start", "done", "failed" or "skipped".
	Phase    string
	Duration time.Duration // for done and failed
	Err      error         // for failed and skipped
	// Time is when it was reported; the zero Time means when Step is
	// called (under its lock, so that times rise line by line).
	Time time.Time
}

// Outcome is how an apply or destroy ended.
type Outcome struct {
	// Applied counts the plan's changes that were carried out: those
	// that neither failed nor were skipped.
	Applied planjson.Summary
	// Done, Failed and Skipped count steps.
	Done, Failed, Skipped int
	// OK is true when every step succeeded and nothing else failed.
	OK bool
}

// NewApply returns the view of apply (destroy: of destroy), as JSON lines
// when jsonOut is set.
func NewApply(s Streams, jsonOut, destroy bool) Apply {
	if jsonOut {
		return &applyJSON{s: s}
	}
	verb := "Apply"
	if destroy {
		verb = "Destroy"
	}
	return &applyHuman{s: s, verb: verb}
}

// applyHuman is apply's view for people.
type applyHuman struct {
	s    Streams
	verb string // "Apply" or "Destroy"

	mu sync.Mutex // serializes step lines
}

func (v *applyHuman) Problems(p *planjson.Plan) {
	WriteProblems(v.s.Stderr, p, v.s.StderrColors, v.s.Files)
}

func (v *applyHuman) Plan(p *planjson.Plan) { WritePlan(v.s.Stdout, p, v.s.StdoutColors) }

func (v *applyHuman) Running() { fmt.Fprintln(v.s.Stdout) }

func (v *applyHuman) Step(s Step) {
	v.mu.Lock()
	defer v.mu.Unlock()
	WriteStep(v.s.Stdout, s.Address, s.Action, s.Phase, s.Duration, s.Err, v.s.StdoutColors)
}

func (v *applyHuman) Outcome(o Outcome) {
	c := v.s.StdoutColors
	a := o.Applied
	summary := fmt.Sprintf("%d added, %d changed, %d replaced, %d destroyed", a.Add, a.Change, a.Replace, a.Destroy)
	if a.Move > 0 {
		summary += fmt.Sprintf(", %d moved", a.Move)
	}
	if o.OK {
		fmt.Fprintf(v.s.Stdout, "\n%s%s complete!%s %s.\n", c.Green, v.verb, c.Reset, summary)
		return
	}
	fmt.Fprintf(v.s.Stdout, "\n%s%s failed:%s %s; %d failed, %d skipped.\n", c.Red, v.verb, c.Reset, summary, o.Failed, o.Skipped)
}

// applyJSON is apply's view for scripts: one JSON line per message on
// stdout, failed host checks also as text on stderr.
type applyJSON struct {
	s Streams

	mu sync.Mutex // serializes step lines
}

// Types of the messages of apply -json and destroy -json.
const (
	MessagePlan    = "plan"
	MessageStep    = "step"
	MessageSummary = "summary"
)

// PlanMessage is the first line of apply -json: the plan to be applied,
// or the plan whose problems stop apply.
//
// The fields of every message are in alphabetical order, the order they
// had when these lines were written from maps.
type PlanMessage struct {
	FormatVersion string         `json:"format_version"`
	Plan          *planjson.Plan `json:"plan"`
	Type          string         `json:"type"` // MessagePlan
}

// StepMessage is a line of apply -json for each step's start and end.
type StepMessage struct {
	// Action is the change's action: "create", "start", "update",
	// "replace", "delete".
	Action  string `json:"action"`
	Address string `json:"address"` // "unikernel.web"
	// DurationMS is how long the step took, in whole milliseconds;
	// present when the step took any time (done and failed).
	DurationMS *int64 `json:"duration_ms,omitempty"`
	// Error is why the step failed or was skipped.
	Error         string `json:"error,omitempty"`
	FormatVersion string `json:"format_version"`
	// Phase is "start", "done", "failed" or "skipped".
	Phase string `json:"phase"`
	// Time is when the step reached its phase, RFC 3339 with
	// nanoseconds, in UTC.
	Time string `json:"time"`
	Type string `json:"type"` // MessageStep
}

// SummaryMessage is the last line of apply -json: how many steps were
// done, failed and skipped, and whether all went well.
type SummaryMessage struct {
	Done          int    `json:"done"`
	Failed        int    `json:"failed"`
	FormatVersion string `json:"format_version"`
	OK            bool   `json:"ok"`
	Skipped       int    `json:"skipped"`
	Type          string `json:"type"` // MessageSummary
}

func (v *applyJSON) Problems(p *planjson.Plan) {
	v.Plan(p)
	WriteProblems(v.s.Stderr, p, v.s.StderrColors, v.s.Files)
}

func (v *applyJSON) Plan(p *planjson.Plan) {
	writeJSONLine(v.s.Stdout, PlanMessage{FormatVersion: planjson.FormatVersion, Plan: p, Type: MessagePlan})
}

func (v *applyJSON) Running() {}

func (v *applyJSON) Step(s Step) {
	v.mu.Lock()
	defer v.mu.Unlock()
	t := s.Time
	if t.IsZero() {
		t = time.Now()
	}
	m := StepMessage{Action: s.Action, Address: s.Address, FormatVersion: planjson.FormatVersion, Phase: s.Phase,
		Time: t.UTC().Format(time.RFC3339Nano), Type: MessageStep}
	if s.Duration > 0 {
		ms := s.Duration.Milliseconds()
		m.DurationMS = &ms
	}
	if s.Err != nil {
		m.Error = s.Err.Error()
	}
	writeJSONLine(v.s.Stdout, m)
}

func (v *applyJSON) Outcome(o Outcome) {
	writeJSONLine(v.s.Stdout, SummaryMessage{Done: o.Done, Failed: o.Failed, FormatVersion: planjson.FormatVersion,
		OK: o.OK, Skipped: o.Skipped, Type: MessageSummary})
}
