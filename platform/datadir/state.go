package datadir

import (
	"fmt"
	"slices"
	"time"
)

// State is where a unikernel's shim is in its lifecycle, as status.json
// records it. The shim's state machine, the one definition of it:
//
//	(none)   -> starting
//	starting -> running | failed (the tender could not be started) | stopping
//	running  -> backoff | exited | failed | stopping
//	backoff  -> starting | stopped (a stop during backoff ends at once)
//	stopping -> stopped
//
// Ended states (exited, failed, stopped) move nowhere: the shim exits once
// it has written one.
type State string

// States written by the shim to status.json.
const (
	StateNone     State = ""         // before the first status write
	StateStarting State = "starting" // tender being started
	StateRunning  State = "running"  // tender up
	StateBackoff  State = "backoff"  // tender ended; waiting to restart it
	StateExited   State = "exited"   // tender ended cleanly and the policy says done
	StateFailed   State = "failed"   // tender failed and the policy says done
	StateStopping State = "stopping" // roost asked it to stop
	StateStopped  State = "stopped"  // stopped by roost
)

// States lists every state a status.json may hold, in lifecycle order.
var States = []State{StateStarting, StateRunning, StateBackoff, StateExited, StateFailed, StateStopping, StateStopped}

// transitions is the state machine of the diagram above: the states each
// state may move to.
var transitions = map[State][]State{
	StateNone:     {StateStarting},
	StateStarting: {StateRunning, StateFailed, StateStopping},
	StateRunning:  {StateBackoff, StateExited, StateFailed, StateStopping},
	StateBackoff:  {StateStarting, StateStopped},
	StateStopping: {StateStopped},
}

// CheckTransition returns an error unless the state machine allows the
// move from one state to another.
func CheckTransition(from, to State) error {
	if !slices.Contains(transitions[from], to) {
		return fmt.Errorf("invalid state transition %q to %q", from, to)
	}
	return nil
}

// Ended reports whether the shim has ended for good in state s (it exits
// once it writes one of these).
func (s State) Ended() bool { return s == StateExited || s == StateFailed || s == StateStopped }

// Status is unikernels/<name>/status.json, written by the shim on every
// change of state.
type Status struct {
	State   State  `json:"state"`
	ShimPID int    `json:"shim_pid"`
	BootID  string `json:"boot_id"` // /proc/sys/kernel/random/boot_id when written
	// TenderPID and TenderStart identify the running tender: TenderStart
	// is its start time in clock ticks since boot (/proc/PID/stat field
	// 22), so a reused pid is not mistaken for it.
	TenderPID   int       `json:"tender_pid,omitempty"`
	TenderStart uint64    `json:"tender_start,omitempty"`
	StartedAt   time.Time `json:"started_at,omitzero"` // the current tender's start
	Restarts    int       `json:"restarts"`            // tender starts after the first
	LastExit    *Exit     `json:"last_exit,omitempty"`
	// NextStart is when a tender in backoff will be started again.
	NextStart time.Time `json:"next_start,omitzero"`
	// SpecDigest is Digest of the spec.json the shim last read.
	SpecDigest string    `json:"spec_digest,omitempty"`
	Message    string    `json:"message,omitempty"` // why, for people: "exec tender: ..."
	UpdatedAt  time.Time `json:"updated_at"`
}

// Exit is how a tender ended.
type Exit struct {
	Code   *int      `json:"code,omitempty"`   // exit status, if it exited
	Signal string    `json:"signal,omitempty"` // "SIGSEGV", if a signal killed it
	At     time.Time `json:"at"`
	// Stopped is true when the shim itself ended the tender (a stop or
	// replace), so that the exit is no failure.
	Stopped bool `json:"stopped,omitempty"`
}
