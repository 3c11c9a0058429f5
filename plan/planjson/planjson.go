// Package planjson is the JSON form of a plan: what `roost plan -json`
// prints, what saved plan files hold, and what the human renderer reads, so
// that the text and the JSON cannot disagree.
package planjson

import (
	"github.com/roostd/roost/plan"
)

// FormatVersion is the format_version of every JSON document roost
// writes: plans, saved plan files, the -json output of every command and
// watch's JSON lines. It changes on every incompatible change of any of
// them.
const FormatVersion = "1"

// Plan is a plan. Consumers may rely on every field documented here; new
// fields may appear without a version change.
type Plan struct {
	FormatVersion string `json:"format_version"`
	// Changes are in a stable order: bridges, blocks, unikernels, taps,
	// each by name. The order they are applied in is apply's business.
	Changes []Change `json:"changes"`
	// Retained lists blocks on disk that the configuration no longer
	// declares; they are kept (deleting them needs -allow-data-loss).
	Retained []Retained `json:"retained"`
	// NotRunning lists declared unikernels whose tender ended under their
	// own restart policy; the plan leaves them be.
	NotRunning []NotRunning `json:"not_running"`
	// Problems are failed host checks. A plan with problems cannot be
	// applied; `roost plan` exits 1.
	Problems []Problem `json:"problems"`
	Warnings []string  `json:"warnings"`
	Summary  Summary   `json:"summary"`
	// Destroy is true for the plan of `roost destroy`.
	Destroy bool `json:"destroy"`
	// ConfigFingerprint and HostFingerprint identify what the plan was
	// made from; a saved plan is refused once either differs.
	ConfigFingerprint string `json:"config_fingerprint"`
	HostFingerprint   string `json:"host_fingerprint"`
}

// Change is one action on one resource.
type Change struct {
	// Address is kind.name: "unikernel.web", "bridge.service",
	// "block.data", "tap.rt3f2a8c01d2".
	Address string `json:"address"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	// Action is one of "create", "start", "update", "replace", "delete",
	// "move".
	Action string `json:"action"`
	// Symbol is how the plan text marks the action: + > ~ -/+ -, and a
	// space for "move".
	Symbol string `json:"symbol"`
	// MovedFrom is the address the resource has on the host, which a
	// moved block renames to Address first: always with action "move",
	// possibly with "update", "start" or "replace".
	MovedFrom string   `json:"moved_from,omitempty"`
	Reasons   []string `json:"reasons,omitempty"`
	Fields    []Field  `json:"fields,omitempty"`
}

// Field is one changed field, before and after, as text.
type Field struct {
	Name              string `json:"name"`
	Before            string `json:"before,omitempty"`
	After             string `json:"after,omitempty"`
	ForcesReplacement bool   `json:"forces_replacement,omitempty"`
}

// Retained is a block kept on disk.
type Retained struct {
	Name      string `json:"name"`
	SizeBytes int64  `json:"size_bytes"`
}

// NotRunning is a unikernel that its restart policy left ended.
type NotRunning struct {
	Name     string `json:"name"`
	State    string `json:"state"` // "exited" or "failed"
	LastExit string `json:"last_exit"`
}

// Problem is a failed host check.
type Problem struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Resource string `json:"resource"`
	Message  string `json:"message"`
}

// Summary counts the changes: create and start add, update changes.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Replace int `json:"replace"`
	Destroy int `json:"destroy"`
	// Move counts the changes with a moved_from (also counted above
	// unless their action is "move"); absent when 0.
	Move int `json:"move,omitempty"`
}

// FromSummary converts s to its JSON form.
func FromSummary(s plan.Summary) Summary {
	return Summary{Add: s.Add, Change: s.Change, Replace: s.Replace, Destroy: s.Destroy, Move: s.Move}
}

// FromPlan converts p to its JSON form.
func FromPlan(p *plan.Plan) *Plan {
	out := &Plan{
		FormatVersion:     FormatVersion,
		Changes:           []Change{},
		Retained:          []Retained{},
		NotRunning:        []NotRunning{},
		Problems:          []Problem{},
		Warnings:          append([]string{}, p.Warnings...),
		Summary:           FromSummary(p.Summary()),
		Destroy:           p.Destroy,
		ConfigFingerprint: p.ConfigFingerprint,
		HostFingerprint:   p.HostFingerprint,
	}
	for _, c := range p.Changes {
		jc := Change{Address: c.Address(), Kind: c.Kind, Name: c.Name, Action: c.Action.Name(), Symbol: c.Action.Symbol(), Reasons: c.Reasons}
		if c.MovedFrom != "" {
			jc.MovedFrom = c.Kind + "." + c.MovedFrom
		}
		for _, f := range c.Fields {
			jc.Fields = append(jc.Fields, Field{Name: f.Name, Before: f.Before, After: f.After, ForcesReplacement: f.ForcesReplacement})
		}
		out.Changes = append(out.Changes, jc)
	}
	for _, r := range p.Retained {
		out.Retained = append(out.Retained, Retained{Name: r.Name, SizeBytes: r.SizeBytes})
	}
	for _, n := range p.NotRunning {
		out.NotRunning = append(out.NotRunning, NotRunning{Name: n.Name, State: string(n.State), LastExit: n.LastExit})
	}
	for _, pr := range p.Problems {
		out.Problems = append(out.Problems, Problem{File: pr.Pos.File, Line: pr.Pos.Line, Resource: pr.Resource, Message: pr.Message})
	}
	return out
}
