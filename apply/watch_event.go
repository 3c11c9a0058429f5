package apply

import (
	"time"

	"github.com/roostd/roost/plan"
)

// EventKind is what a WatchEvent reports. Its value is the "type" of
// watch's JSON lines and stays stable.
type EventKind string

// Kinds of WatchEvent.
const (
	// KindConfig is a notice that the configuration may have changed, a
	// load that made a new generation, or a load that found the
	// configuration valid again.
	KindConfig EventKind = "config"
	// KindInvalid is a load that failed; the last good configuration
	// stays in force.
	KindInvalid EventKind = "invalid"
	// KindDrift is host drift that made a pass change something.
	KindDrift EventKind = "drift"
	// KindProblem is a failed host check, once per generation.
	KindProblem EventKind = "problem"
	// KindStep is an apply step that ended.
	KindStep EventKind = "step"
	// KindPass is a pass that ended.
	KindPass EventKind = "pass"
	// KindError is a problem outside any step: watching the directory,
	// taking the lock, observing the host, pruning images.
	KindError EventKind = "error"
)

// PassResult is how a pass ended. Its value appears in watch's JSON lines,
// metrics labels and applied.json, and stays stable.
type PassResult string

// Results of a pass.
const (
	PassOK      PassResult = "ok"      // every change applied
	PassFailed  PassResult = "failed"  // a change, the lock or the observation failed
	PassNoop    PassResult = "noop"    // nothing to change
	PassInvalid PassResult = "invalid" // no valid configuration yet
	PassBlocked PassResult = "blocked" // a host-wide check failed; nothing applied
)

// Reasons for a pass that the loop itself gives; the ConfigSource,
// the DriftSource and the trigger give others.
const (
	ReasonStart  = "start"
	ReasonResync = "resync"
	ReasonRetry  = "retry"
	// ReasonDrift prefixes a drift message: "drift: tap rt3f.. of web
	// removed".
	ReasonDrift = "drift: "
)

// WatchEvent is one thing watch reports. It carries facts, not sentences:
// the views render them. Which fields are set depends on Kind.
type WatchEvent struct {
	Time time.Time
	Kind EventKind

	// Reason, for KindConfig and KindDrift, is the notice the event is
	// about, as it appears in a pass's Reasons ("config changed:
	// main.hcl", "SIGHUP", "drift: tap rt3f.. of web removed"). A
	// KindConfig event without a Reason is about a load: Desired is set
	// for a new generation, and nil when the configuration is valid again
	// with the content of the generation in force.
	Reason string
	// Err is what went wrong, for KindError, KindInvalid, a step that
	// failed or was skipped, and a pass that failed before planning.
	Err error
	// Problem, for KindProblem, is the failed host check.
	Problem *plan.Problem

	// For KindStep: the step and the change it carries out (nil if the
	// step is not one of the plan's changes).
	Address  string
	Action   plan.Action
	Phase    Phase
	Change   *plan.Change
	Duration time.Duration // also for KindPass

	// Generation is the generation in force (0: none yet), for KindPass,
	// KindConfig and KindInvalid. Commit is its git commit, if any.
	Generation int
	Commit     string
	// Desired, for a KindConfig event of a new generation, is the
	// configuration now in force.
	Desired *plan.Desired

	// For KindPass.
	Reasons []string
	Changes int
	Failed  int
	Result  PassResult
}
