package plan_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/plan"
)

// TestMakeSaysWhatItSaw covers issue 8, finding 13: every reason and
// warning names what roost saw, and "No changes" is never all a plan says
// of a guest that is stopped or crash-looping.
func TestMakeSaysWhatItSaw(t *testing.T) {
	code1 := 1
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		host         func(o *plan.Observed, u *plan.ObservedUnikernel)
		wantChanges  []string
		wantWarnings []string
	}{
		{
			name: "tender-sigstopped",
			host: func(o *plan.Observed, u *plan.ObservedUnikernel) { u.TenderProcState = "T" },
			wantWarnings: []string{
				"unikernel.web: tender pid 101 is stopped (SIGSTOP): the guest runs no code; send it SIGCONT, or roost apply -replace web starts it afresh",
			},
		},
		{
			name: "shim-sigstopped",
			host: func(o *plan.Observed, u *plan.ObservedUnikernel) { u.ShimPID, u.ShimProcState = 100, "T" },
			wantWarnings: []string{
				"unikernel.web: shim pid 100 is stopped (SIGSTOP): it restarts nothing until it gets SIGCONT; roost apply -replace web starts it afresh",
			},
		},
		{
			name: "crash-looping",
			host: func(o *plan.Observed, u *plan.ObservedUnikernel) {
				u.TenderAlive = false
				u.Status.State, u.Status.Restarts = plan.StateBackoff, 7
				u.Status.LastExit = &plan.Exit{Code: &code1, At: at}
			},
			wantWarnings: []string{
				"unikernel.web is crash-looping: 7 restarts, now backoff; last exit: exited with code 1 at 2026-11-27T09:00:00Z (roost logs web shows why)",
			},
		},
		{
			name: "restarted-by-roost-is-no-loop",
			host: func(o *plan.Observed, u *plan.ObservedUnikernel) {
				u.Status.Restarts = 7
				u.Status.LastExit = &plan.Exit{Stopped: true, At: at}
			},
		},
		{
			name: "status-json-unreadable",
			host: func(o *plan.Observed, u *plan.ObservedUnikernel) {
				u.ShimAlive, u.TenderAlive, u.Status = false, false, nil
				u.StatusProblem = "invalid character 'x' looking for beginning of value"
			},
			wantChanges: []string{"> unikernel.web (no shim holds shim.lock, and status.json is unreadable: invalid character 'x' looking for beginning of value)"},
		},
		{
			name: "status-json-missing",
			host: func(o *plan.Observed, u *plan.ObservedUnikernel) {
				u.ShimAlive, u.TenderAlive, u.Status, u.StatusProblem = false, false, nil, "missing"
			},
			wantChanges: []string{"> unikernel.web (never started (no status.json))"},
		},
		{
			name: "shim-starting-after-a-killed-apply",
			host: func(o *plan.Observed, u *plan.ObservedUnikernel) {
				u.TenderAlive, u.SpecStale, u.ShimPID = false, true, 100
				u.Status.State = plan.StateStarting
			},
			wantChanges: []string{"~ unikernel.web (the shim (pid 100) is starting and status.json does not yet record the spec.json on disk (restart policy, stop timeout))"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := desired(web())
			o := converged(d)
			u := o.Unikernels["web"]
			st := *u.Status
			u.Status = &st
			tt.host(o, &u)
			o.Unikernels["web"] = u
			p := plan.Make(plan.Input{Desired: d, Observed: o})
			var changes []string
			for _, line := range summary(p) {
				if !strings.HasPrefix(line, "retained ") {
					changes = append(changes, line)
				}
			}
			if diff := cmp.Diff(tt.wantChanges, changes); diff != "" {
				t.Errorf("changes mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, p.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
