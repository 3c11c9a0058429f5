package shim

import (
	"testing"

	"github.com/roostd/roost/plan"
)

func TestCheckTransition(t *testing.T) {
	tests := []struct {
		name     string
		from, to plan.State
		wantErr  string
	}{
		{"first start", stateNone, plan.StateStarting, ""},
		{"started", plan.StateStarting, plan.StateRunning, ""},
		{"cannot start", plan.StateStarting, plan.StateFailed, ""},
		{"tender exited for a restart", plan.StateRunning, plan.StateBackoff, ""},
		{"tender exited for good", plan.StateRunning, plan.StateExited, ""},
		{"tender failed", plan.StateRunning, plan.StateFailed, ""},
		{"stop while running", plan.StateRunning, plan.StateStopping, ""},
		{"restart", plan.StateBackoff, plan.StateStarting, ""},
		{"stop during backoff", plan.StateBackoff, plan.StateStopped, ""},
		{"stopped", plan.StateStopping, plan.StateStopped, ""},
		{"none to running", stateNone, plan.StateRunning, `invalid state transition "" to "running"`},
		{"running to starting", plan.StateRunning, plan.StateStarting, `invalid state transition "running" to "starting"`},
		{"backoff to running", plan.StateBackoff, plan.StateRunning, `invalid state transition "backoff" to "running"`},
		{"stopping to backoff", plan.StateStopping, plan.StateBackoff, `invalid state transition "stopping" to "backoff"`},
		{"exited is ended", plan.StateExited, plan.StateStarting, `invalid state transition "exited" to "starting"`},
		{"failed is ended", plan.StateFailed, plan.StateBackoff, `invalid state transition "failed" to "backoff"`},
		{"stopped is ended", plan.StateStopped, plan.StateStarting, `invalid state transition "stopped" to "starting"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkTransition(tt.from, tt.to)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("checkTransition(%q, %q) = %q, want %q", tt.from, tt.to, got, tt.wantErr)
			}
		})
	}
}

// TestTransitionsEnded checks the table against plan.State.Ended: ended
// states move nowhere, and every other state somewhere.
func TestTransitionsEnded(t *testing.T) {
	for _, s := range []plan.State{stateNone, plan.StateStarting, plan.StateRunning, plan.StateBackoff,
		plan.StateExited, plan.StateFailed, plan.StateStopping, plan.StateStopped} {
		if got, want := len(transitions[s]) == 0, s.Ended(); got != want {
			t.Errorf("state %q: no way out = %v, want %v", s, got, want)
		}
	}
}
