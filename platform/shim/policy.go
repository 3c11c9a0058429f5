package shim

import (
	"slices"
	"strconv"
	"time"

	"github.com/roostd/roost/plan"
)

// resetAfter is how long a tender must have been up for the next restart's
// delay to start again from Backoff.
const resetAfter = 10 * time.Minute

// configError reports whether a tender's exit code means a configuration
// error, which restarting cannot fix (albatross's rule): 1 is a MirageOS
// exit(1), 60-64 are its argument and configuration errors (63: bad command
// line, 64: unknown argument).
func configError(code int) bool { return code == 1 || (code >= 60 && code <= 64) }

// decide returns the state after a tender ended by e, which the shim did
// not cause: StateBackoff to restart it, or the ended state the policy
// leaves it in. An exit the shim caused (a stop) never gets here.
//
//   - A code listed in ExitCodes restarts, even a configuration error
//     (1, 60-64). (The file format allows ExitCodes under on-failure only;
//     the shim takes them as a spec gives them.)
//   - Otherwise a configuration error has failed, under every policy.
//   - never: code 0 has exited; any other code or a signal has failed.
//   - on-failure: code 0 has exited; another code restarts when ExitCodes
//     is empty, else it has failed; a signal restarts (it is no exit code,
//     so ExitCodes does not filter it: spt reports a guest fault as SIGSEGV).
//   - always: everything else restarts, code 0 too.
func decide(r plan.Restart, e plan.Exit) plan.State {
	policy := r.Policy
	if policy == "" {
		policy = plan.RestartOnFailure
	}
	if e.Code != nil {
		code := *e.Code
		listed := slices.Contains(r.ExitCodes, code)
		switch {
		case policy == plan.RestartNever && code == 0:
			return plan.StateExited
		case policy == plan.RestartNever:
			return plan.StateFailed
		case code == 0 && policy == plan.RestartOnFailure:
			return plan.StateExited
		case listed:
			return plan.StateBackoff
		case configError(code):
			return plan.StateFailed
		case policy == plan.RestartAlways:
			return plan.StateBackoff
		case len(r.ExitCodes) == 0:
			return plan.StateBackoff
		default:
			return plan.StateFailed
		}
	}
	// Killed by a signal the shim did not send: a failure.
	if policy == plan.RestartNever {
		return plan.StateFailed
	}
	return plan.StateBackoff
}

// backoffDelay returns the delay before the n-th consecutive restart
// (n >= 1): Backoff doubled n-1 times, capped at MaxBackoff. Zero values
// mean the file format's defaults.
func backoffDelay(r plan.Restart, n int) time.Duration {
	d, max := time.Duration(r.Backoff), time.Duration(r.MaxBackoff)
	if d <= 0 {
		d = time.Duration(plan.DefaultBackoff)
	}
	if max <= 0 {
		max = time.Duration(plan.DefaultMaxBackoff)
	}
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// stopTimeout returns how long a stop waits between SIGTERM and SIGKILL.
// Zero (a spec without it) means the file format's default.
func stopTimeout(s *plan.Spec) time.Duration {
	if s == nil || s.StopTimeout <= 0 {
		return time.Duration(plan.DefaultStopTimeout)
	}
	return time.Duration(s.StopTimeout)
}

// describeExit says how a tender ended, for logs and errors: "exited with
// code 1", "was killed by SIGSEGV".
func describeExit(e *plan.Exit) string {
	switch {
	case e == nil:
		return "ended"
	case e.Code != nil:
		return "exited with code " + strconv.Itoa(*e.Code)
	case e.Signal != "":
		return "was killed by " + e.Signal
	default:
		return "ended"
	}
}
