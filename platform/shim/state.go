package shim

import (
	"fmt"
	"slices"

	"github.com/roostd/roost/plan"
)

// stateNone is the state before the first status write.
const stateNone plan.State = ""

// transitions is the shim's state machine: the states each state may move
// to. Ended states (exited, failed, stopped) move nowhere: the shim exits
// once it has written one.
//
//	(none)   -> starting
//	starting -> running | failed (the tender could not be started) | stopping
//	running  -> backoff | exited | failed | stopping
//	backoff  -> starting | stopped (a stop during backoff ends at once)
//	stopping -> stopped
var transitions = map[plan.State][]plan.State{
	stateNone:          {plan.StateStarting},
	plan.StateStarting: {plan.StateRunning, plan.StateFailed, plan.StateStopping},
	plan.StateRunning:  {plan.StateBackoff, plan.StateExited, plan.StateFailed, plan.StateStopping},
	plan.StateBackoff:  {plan.StateStarting, plan.StateStopped},
	plan.StateStopping: {plan.StateStopped},
}

// checkTransition returns an error unless the state machine allows the
// move from one state to another.
func checkTransition(from, to plan.State) error {
	if !slices.Contains(transitions[from], to) {
		return fmt.Errorf("invalid state transition %q to %q", from, to)
	}
	return nil
}
