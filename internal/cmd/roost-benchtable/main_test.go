package main

import (
	"strings"
	"testing"
)

// resultOf returns the result cell of the row labelled label.
func resultOf(t *testing.T, table, label string) string {
	t.Helper()
	for _, l := range strings.Split(table, "\n") {
		cells := strings.Split(l, "|")
		if len(cells) > 2 && strings.TrimSpace(cells[1]) == label {
			return strings.TrimSpace(cells[len(cells)-2])
		}
	}
	t.Fatalf("no row %q in\n%s", label, table)
	return ""
}

func TestRenderTable(t *testing.T) {
	fig := func(key string, v float64) figure { return figure{Key: key, Unit: "ms", Runs: []float64{v}, Median: v} }
	tests := []struct {
		name  string
		figs  []figure
		label string
		want  string
	}{
		{"within the floor", []figure{fig("apply100", 140), fig("floor.apply100", 100)}, "apply 100 new unikernels", "pass"},
		{"at the bound", []figure{fig("apply100", 150), fig("floor.apply100", 100)}, "apply 100 new unikernels", "pass"},
		{"beyond the floor", []figure{fig("apply100", 151), fig("floor.apply100", 100)}, "apply 100 new unikernels", "MISS"},
		{"3x faster than shelling out", []figure{fig("apply100", 100), fig("shell.apply100", 300)}, "apply 100, against the shell-out way", "pass"},
		{"2x faster than shelling out", []figure{fig("apply100", 150), fig("shell.apply100", 300)}, "apply 100, against the shell-out way", "MISS"},
		{"relative without its floor", []figure{fig("destroy100", 100)}, "destroy the 100", "no floor"},
		{"absolute without a floor", []figure{fig("plan1000", 99)}, "plan, 1,000 declared and running", "pass"},
		{"absolute missed", []figure{fig("restart", 21)}, "restart, beyond the 100 ms backoff", "MISS"},
		{"no target", []figure{fig("plan100", 30)}, "plan, 100 running", ""},
		{"not run", nil, "plan, 100 running", "not measured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			figs := map[string]figure{}
			for _, f := range tt.figs {
				figs[f.Key] = f
			}
			if got := resultOf(t, renderTable(figs), tt.label); got != tt.want {
				t.Errorf("result of %q = %q, want %q", tt.label, got, tt.want)
			}
		})
	}
}

func TestRowsAreDescribed(t *testing.T) {
	for _, r := range rows {
		if r.about == "" || r.key == "" || (r.relative && r.floor == "") || (r.target == "") != (r.ok == nil) {
			t.Errorf("row %q: incomplete: %+v", r.label, r)
		}
	}
}
