package shim

import (
	"testing"
	"time"

	"github.com/roostd/roost/platform/datadir"
)

func code(n int) datadir.Exit        { return datadir.Exit{Code: &n} }
func killed(sig string) datadir.Exit { return datadir.Exit{Signal: sig} }

func TestDecide(t *testing.T) {
	tests := []struct {
		name      string
		policy    string
		exitCodes []int
		exit      datadir.Exit
		want      datadir.State
	}{
		{"on-failure clean exit", datadir.RestartOnFailure, nil, code(0), datadir.StateExited},
		{"default policy is on-failure", "", nil, code(2), datadir.StateBackoff},
		{"on-failure failure", datadir.RestartOnFailure, nil, code(2), datadir.StateBackoff},
		{"on-failure abort", datadir.RestartOnFailure, nil, code(255), datadir.StateBackoff},
		{"on-failure config error 1", datadir.RestartOnFailure, nil, code(1), datadir.StateFailed},
		{"on-failure config error 60", datadir.RestartOnFailure, nil, code(60), datadir.StateFailed},
		{"on-failure config error 64", datadir.RestartOnFailure, nil, code(64), datadir.StateFailed},
		{"on-failure 65 is no config error", datadir.RestartOnFailure, nil, code(65), datadir.StateBackoff},
		{"on-failure listed code", datadir.RestartOnFailure, []int{2}, code(2), datadir.StateBackoff},
		{"on-failure unlisted code", datadir.RestartOnFailure, []int{2}, code(3), datadir.StateFailed},
		{"on-failure listed config error", datadir.RestartOnFailure, []int{1}, code(1), datadir.StateBackoff},
		{"on-failure listed 0 is still clean", datadir.RestartOnFailure, []int{0}, code(0), datadir.StateExited},
		{"on-failure signal", datadir.RestartOnFailure, nil, killed("SIGSEGV"), datadir.StateBackoff},
		{"on-failure signal with exit codes", datadir.RestartOnFailure, []int{2}, killed("SIGSEGV"), datadir.StateBackoff},
		{"always clean exit", datadir.RestartAlways, nil, code(0), datadir.StateBackoff},
		{"always failure", datadir.RestartAlways, nil, code(2), datadir.StateBackoff},
		{"always unlisted code", datadir.RestartAlways, []int{2}, code(3), datadir.StateBackoff},
		{"always config error", datadir.RestartAlways, nil, code(63), datadir.StateFailed},
		{"always listed config error", datadir.RestartAlways, []int{63}, code(63), datadir.StateBackoff},
		{"always signal", datadir.RestartAlways, nil, killed("SIGKILL"), datadir.StateBackoff},
		{"never clean exit", datadir.RestartNever, nil, code(0), datadir.StateExited},
		{"never failure", datadir.RestartNever, nil, code(2), datadir.StateFailed},
		{"never listed code", datadir.RestartNever, []int{2}, code(2), datadir.StateFailed},
		{"never signal", datadir.RestartNever, nil, killed("SIGSEGV"), datadir.StateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := datadir.Restart{Policy: tt.policy, ExitCodes: tt.exitCodes}
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
		{"defaults", 0, 0, 1, time.Duration(datadir.DefaultBackoff)},
		{"default cap", 0, 0, 100, time.Duration(datadir.DefaultMaxBackoff)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := datadir.Restart{Backoff: datadir.Duration(tt.backoff), MaxBackoff: datadir.Duration(tt.max)}
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
		exit *datadir.Exit
		want string
	}{
		{"code", &c, "exited with code 1"},
		{"signal", &s, "was killed by SIGSEGV"},
		{"none", nil, "ended"},
		{"empty", &datadir.Exit{}, "ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeExit(tt.exit); got != tt.want {
				t.Errorf("describeExit(%+v) = %q, want %q", tt.exit, got, tt.want)
			}
		})
	}
}
