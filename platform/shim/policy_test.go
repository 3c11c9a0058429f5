package shim

import (
	"testing"
	"time"

	"github.com/roostd/roost/plan"
)

func code(n int) plan.Exit        { return plan.Exit{Code: &n} }
func killed(sig string) plan.Exit { return plan.Exit{Signal: sig} }

func TestDecide(t *testing.T) {
	tests := []struct {
		name      string
		policy    string
		exitCodes []int
		exit      plan.Exit
		want      plan.State
	}{
		{"on-failure clean exit", plan.RestartOnFailure, nil, code(0), plan.StateExited},
		{"default policy is on-failure", "", nil, code(2), plan.StateBackoff},
		{"on-failure failure", plan.RestartOnFailure, nil, code(2), plan.StateBackoff},
		{"on-failure abort", plan.RestartOnFailure, nil, code(255), plan.StateBackoff},
		{"on-failure config error 1", plan.RestartOnFailure, nil, code(1), plan.StateFailed},
		{"on-failure config error 60", plan.RestartOnFailure, nil, code(60), plan.StateFailed},
		{"on-failure config error 64", plan.RestartOnFailure, nil, code(64), plan.StateFailed},
		{"on-failure 65 is no config error", plan.RestartOnFailure, nil, code(65), plan.StateBackoff},
		{"on-failure listed code", plan.RestartOnFailure, []int{2}, code(2), plan.StateBackoff},
		{"on-failure unlisted code", plan.RestartOnFailure, []int{2}, code(3), plan.StateFailed},
		{"on-failure listed config error", plan.RestartOnFailure, []int{1}, code(1), plan.StateBackoff},
		{"on-failure listed 0 is still clean", plan.RestartOnFailure, []int{0}, code(0), plan.StateExited},
		{"on-failure signal", plan.RestartOnFailure, nil, killed("SIGSEGV"), plan.StateBackoff},
		{"on-failure signal with exit codes", plan.RestartOnFailure, []int{2}, killed("SIGSEGV"), plan.StateBackoff},
		{"always clean exit", plan.RestartAlways, nil, code(0), plan.StateBackoff},
		{"always failure", plan.RestartAlways, nil, code(2), plan.StateBackoff},
		{"always unlisted code", plan.RestartAlways, []int{2}, code(3), plan.StateBackoff},
		{"always config error", plan.RestartAlways, nil, code(63), plan.StateFailed},
		{"always listed config error", plan.RestartAlways, []int{63}, code(63), plan.StateBackoff},
		{"always signal", plan.RestartAlways, nil, killed("SIGKILL"), plan.StateBackoff},
		{"never clean exit", plan.RestartNever, nil, code(0), plan.StateExited},
		{"never failure", plan.RestartNever, nil, code(2), plan.StateFailed},
		{"never listed code", plan.RestartNever, []int{2}, code(2), plan.StateFailed},
		{"never signal", plan.RestartNever, nil, killed("SIGSEGV"), plan.StateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plan.Restart{Policy: tt.policy, ExitCodes: tt.exitCodes}
			if got := decide(r, tt.exit); got != tt.want {
				t.Errorf("decide(%+v, %s) = %q, want %q", r, describeExit(&tt.exit), got, tt.want)
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name         string
		backoff, max time.Duration
		n            int
		want         time.Duration
	}{
		{"first", 10 * ms, 100 * ms, 1, 10 * ms},
		{"second doubles", 10 * ms, 100 * ms, 2, 20 * ms},
		{"fourth", 10 * ms, 100 * ms, 4, 80 * ms},
		{"capped", 10 * ms, 100 * ms, 5, 100 * ms},
		{"capped far out", 10 * ms, 100 * ms, 10000, 100 * ms},
		{"max below backoff", 10 * ms, 5 * ms, 1, 5 * ms},
		{"defaults", 0, 0, 1, time.Duration(plan.DefaultBackoff)},
		{"default cap", 0, 0, 100, time.Duration(plan.DefaultMaxBackoff)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plan.Restart{Backoff: plan.Duration(tt.backoff), MaxBackoff: plan.Duration(tt.max)}
			if got := backoffDelay(r, tt.n); got != tt.want {
				t.Errorf("backoffDelay(%s..%s, %d) = %s, want %s", tt.backoff, tt.max, tt.n, got, tt.want)
			}
		})
	}
}

func TestDescribeExit(t *testing.T) {
	c, s := code(1), killed("SIGSEGV")
	tests := []struct {
		name string
		exit *plan.Exit
		want string
	}{
		{"code", &c, "exited with code 1"},
		{"signal", &s, "was killed by SIGSEGV"},
		{"none", nil, "ended"},
		{"empty", &plan.Exit{}, "ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeExit(tt.exit); got != tt.want {
				t.Errorf("describeExit(%+v) = %q, want %q", tt.exit, got, tt.want)
			}
		})
	}
}
