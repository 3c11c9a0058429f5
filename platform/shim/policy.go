package shim

import (
	"slices"
	"strconv"
	"time"

	"github.com/roostd/roost/platform/datadir"
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
func decide(r datadir.Restart, e datadir.Exit) datadir.State {
	policy := r.Policy
	if policy == "" {
		policy = datadir.RestartOnFailure
	}
	if e.Code != nil {
		code := *e.Code
		listed := slices.Contains(r.ExitCodes, code)
		switch {
		case policy == datadir.RestartNever && code == 0:
			return datadir.StateExited
		case policy == datadir.RestartNever:
			return datadir.StateFailed
		case code == 0 && policy == datadir.RestartOnFailure:
			return datadir.StateExited
		case listed:
			return datadir.StateBackoff
		case configError(code):
			return datadir.StateFailed
		case policy == datadir.RestartAlways:
			return datadir.StateBackoff
		case len(r.ExitCodes) == 0:
			return datadir.StateBackoff
		default:
			return datadir.StateFailed
		}
	}
	// Killed by a signal the shim did not send: a failure.
	if policy == datadir.RestartNever {
		return datadir.StateFailed
	}
	return datadir.StateBackoff
}

// backoffDelay returns the delay before the n-th consecutive restart
// (n >= 1): Backoff doubled n-1 times, capped at MaxBackoff. Zero values
// mean the file format's defaults.
func backoffDelay(r datadir.Restart, n int) time.Duration {
	d, max := time.Duration(r.Backoff), time.Duration(r.MaxBackoff)
	if d <= 0 {
		d = time.Duration(datadir.DefaultBackoff)
	}
	if max <= 0 {
		max = time.Duration(datadir.DefaultMaxBackoff)
	}
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// stopTimeout returns how long a stop waits between SIGTERM and SIGKILL.
// Zero (a spec without it) means the file format's default.
func stopTimeout(s *datadir.Spec) time.Duration {
	if s == nil || s.StopTimeout <= 0 {
		return time.Duration(datadir.DefaultStopTimeout)
	}
	return time.Duration(s.StopTimeout)
}

// describeExit says how a tender ended, for logs and errors: "exited with
// code 1", "was killed by SIGSEGV".
func describeExit(e *datadir.Exit) string {
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
