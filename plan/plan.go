package plan

import (
	"fmt"
	"sort"
)

// Kinds of resources.
const (
	KindBridge    = "bridge"
	KindBlock     = "block"
	KindUnikernel = "unikernel"
	KindTap       = "tap"
)

// Plan is what it takes to make the observed host equal the desired one.
type Plan struct {
	// Changes in a stable order: bridges, blocks, unikernels, taps, each
	// by name. apply orders them by dependency.
	Changes []Change
	// Retained are blocks on disk that nothing declares; they are kept.
	Retained []Retained
	// NotRunning are declared unikernels whose tender ended under their
	// own restart policy: converged, nothing to do.
	NotRunning []NotRunning
	// Problems are host checks that failed; a plan with problems must
	// not be applied.
	Problems []Problem
	// Warnings are worth saying but change nothing.
	Warnings []string

	ConfigFingerprint string
	HostFingerprint   string
	Destroy           bool
}

// Change is one action on one resource.
type Change struct {
	Kind    string
	Name    string
	Action  Action
	Reasons []string
	Fields  []Field

	// The new state, by kind: Bridge, Block, or Spec for a unikernel.
	Bridge *Bridge
	Block  *Block
	Spec   *Spec
	// Prior is the unikernel as observed (delete, replace, update).
	Prior *ObservedUnikernel
	// SizeBytes is a block's size on disk before the change.
	PriorSizeBytes int64
	// Taps are the taps a tap change deletes (Kind tap: one).
	Tap *ObservedTap
	// RestoreImage asks an update to store the unikernel's image again:
	// the stored copy is missing or altered.
	RestoreImage bool
	// MovedFrom is the name the resource has on the host, which a moved
	// block renames to Name before anything else of the change (Action
	// Move: nothing else). Prior describes it under that name.
	MovedFrom string
}

// Address is how plans and messages name a resource: "unikernel.web".
func (c *Change) Address() string { return c.Kind + "." + c.Name }

// PriorName is the name the resource has on the host before the change:
// MovedFrom if it moves, else Name.
func (c *Change) PriorName() string {
	if c.MovedFrom != "" {
		return c.MovedFrom
	}
	return c.Name
}

// Field is one field that changes: before and after as text.
type Field struct {
	Name              string
	Before, After     string
	ForcesReplacement bool
}

// Retained is a block that is kept though nothing declares it.
type Retained struct {
	Name      string
	SizeBytes int64
}

// NotRunning is a declared unikernel that its restart policy left ended.
type NotRunning struct {
	Name     string
	State    State
	LastExit string // "exited with code 0 at 2026-11-27T09:00:00Z"
}

// Problem is a failed host check, where the configuration says it.
type Problem struct {
	Pos      Pos
	Resource string // "unikernel.web"
	Message  string
}

func (p Problem) String() string {
	if p.Pos.File != "" {
		return fmt.Sprintf("%s: %s: %s", p.Pos, p.Resource, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Resource, p.Message)
}

// Summary counts changes the way the last line of a plan says them.
type Summary struct {
	Add, Change, Replace, Destroy int
	// Move counts the renames of moved blocks, alone (Action Move) or
	// with an update or replacement, which count there as well.
	Move int
}

// Summary counts p's changes: creates and starts are additions, updates
// changes, replacements, deletions; every change with a rename is also a
// move.
func (p *Plan) Summary() Summary { return Summarize(p.Changes) }

// Summarize counts changes as Summary does; apply counts with it the
// changes that were carried out.
func Summarize(changes []Change) Summary {
	var s Summary
	for _, c := range changes {
		switch c.Action {
		case Create, Start:
			s.Add++
		case Update:
			s.Change++
		case Replace:
			s.Replace++
		case Delete:
			s.Destroy++
		}
		if c.MovedFrom != "" {
			s.Move++
		}
	}
	return s
}

// Empty reports whether p changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

var kindOrder = map[string]int{KindBridge: 0, KindBlock: 1, KindUnikernel: 2, KindTap: 3}

func (p *Plan) sort() {
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := p.Changes[i], p.Changes[j]
		if kindOrder[a.Kind] != kindOrder[b.Kind] {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		return a.Name < b.Name
	})
	sort.Slice(p.Retained, func(i, j int) bool { return p.Retained[i].Name < p.Retained[j].Name })
	sort.Slice(p.NotRunning, func(i, j int) bool { return p.NotRunning[i].Name < p.NotRunning[j].Name })
}
