package plan

import "time"

// State is where a unikernel's shim is in its lifecycle, as its
// status.json says. The shim's state machine is defined once, with the
// file format, in package platform/datadir; these are its states as plan
// sees them (a test in platform checks that the two lists agree).
type State string

// The states of a unikernel's shim.
const (
	StateStarting State = "starting" // tender being started
	StateRunning  State = "running"  // tender up
	StateBackoff  State = "backoff"  // tender ended; waiting to restart it
	StateExited   State = "exited"   // tender ended cleanly and the policy says done
	StateFailed   State = "failed"   // tender failed and the policy says done
	StateStopping State = "stopping" // roost asked it to stop
	StateStopped  State = "stopped"  // stopped by roost
)

// Ended reports whether the shim has ended for good in state s (it exits
// once it writes one of these).
func (s State) Ended() bool { return s == StateExited || s == StateFailed || s == StateStopped }

// Status is what the shim last recorded of a unikernel (its status.json).
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
	Message   string    `json:"message,omitempty"` // why, for people: "exec tender: ..."
	UpdatedAt time.Time `json:"updated_at"`
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
