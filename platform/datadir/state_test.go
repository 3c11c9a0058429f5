package datadir

import (
	"testing"
)

func TestCheckTransition(t *testing.T) {
	tests := []struct {
		name     string
		from, to State
		wantErr  string
	}{
		{"first start", StateNone, StateStarting, ""},
		{"started", StateStarting, StateRunning, ""},
		{"cannot start", StateStarting, StateFailed, ""},
		{"tender exited for a restart", StateRunning, StateBackoff, ""},
		{"tender exited for good", StateRunning, StateExited, ""},
		{"tender failed", StateRunning, StateFailed, ""},
		{"stop while running", StateRunning, StateStopping, ""},
		{"restart", StateBackoff, StateStarting, ""},
		{"stop during backoff", StateBackoff, StateStopped, ""},
		{"stopped", StateStopping, StateStopped, ""},
		{"none to running", StateNone, StateRunning, `invalid state transition "" to "running"`},
		{"running to starting", StateRunning, StateStarting, `invalid state transition "running" to "starting"`},
		{"backoff to running", StateBackoff, StateRunning, `invalid state transition "backoff" to "running"`},
		{"stopping to backoff", StateStopping, StateBackoff, `invalid state transition "stopping" to "backoff"`},
		{"exited is ended", StateExited, StateStarting, `invalid state transition "exited" to "starting"`},
		{"failed is ended", StateFailed, StateBackoff, `invalid state transition "failed" to "backoff"`},
		{"stopped is ended", StateStopped, StateStarting, `invalid state transition "stopped" to "starting"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTransition(tt.from, tt.to)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("CheckTransition(%q, %q) = %q, want %q", tt.from, tt.to, got, tt.wantErr)
			}
		})
	}
}

// TestTransitionsEnded checks the table against State.Ended: ended
// states move nowhere, and every other state somewhere.
func TestTransitionsEnded(t *testing.T) {
	for _, s := range []State{StateNone, StateStarting, StateRunning, StateBackoff,
		StateExited, StateFailed, StateStopping, StateStopped} {
		if got, want := len(transitions[s]) == 0, s.Ended(); got != want {
			t.Errorf("state %q: no way out = %v, want %v", s, got, want)
		}
	}
}
