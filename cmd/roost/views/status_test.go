package views_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planjson"
)

// TestStatus renders statuses as JSON and as text (the table, then each
// unikernel in detail) and compares them with testdata/status/<case>.json
// and .txt; go test -update rewrites those.
func TestStatus(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	started := now.Add(-90 * time.Minute)
	code, one := 0, 1
	tests := []struct {
		name   string
		status views.Status
	}{
		{"empty", views.Status{DBDir: "/var/lib/roost"}},
		{"running-exited-dead", views.Status{
			DBDir: "/var/lib/roost",
			Applied: &views.Applied{Dir: "/etc/roost", Commit: strings.Repeat("91bc", 10), Generation: 3,
				AppliedAt: now.Add(-3 * time.Hour), By: "roost watch", Result: "ok"},
			Unikernels: []views.UnikernelStatus{
				{Name: "dead", State: "dead", ShimPID: 40, Restarts: 2,
					LastExit: &plan.Exit{Code: &one, At: now.Add(-time.Hour)},
					Message:  "status.json says running, but no shim holds its lock (shim killed or host rebooted); roost apply starts it again"},
				{Name: "job", State: "exited", LastExit: &plan.Exit{Code: &code, At: now.Add(-26 * time.Hour)},
					Image: "/etc/roost/job.hvt", ImageSHA256: strings.Repeat("3f2a", 16)},
				{Name: "web", State: "running", ShimPID: 41, TenderPID: 42, StartedAt: &started, UptimeSeconds: 5400.4,
					Restarts: 1, LastExit: &plan.Exit{Signal: "SIGSEGV", At: started}, RSSBytes: 34 << 20, CPUSeconds: 12.345,
					Image: "/etc/roost/web.hvt", ImageSHA256: strings.Repeat("3f2a", 16),
					Taps: []views.TapStatus{{Name: plan.TapName("web", "service"), Device: "service", Bridge: "service",
						RxBytes: 1536, TxBytes: 3 << 30, RxPackets: 12, TxPackets: 2000000}}},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.status
			st.FormatVersion = planjson.FormatVersion
			if st.Unikernels == nil {
				st.Unikernels = []views.UnikernelStatus{}
			}
			var js, text bytes.Buffer
			if err := views.WriteJSON(&js, st); err != nil {
				t.Fatal(err)
			}
			if err := views.WriteStatus(&text, &st, now); err != nil {
				t.Fatal(err)
			}
			for _, u := range st.Unikernels {
				text.WriteString("\n")
				views.WriteStatusDetail(&text, u)
			}
			golden(t, filepath.Join("testdata", "status", tt.name+".json"), js.Bytes())
			golden(t, filepath.Join("testdata", "status", tt.name+".txt"), text.Bytes())
		})
	}
}
