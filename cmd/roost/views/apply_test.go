package views_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planjson"
)

// applyCase is an apply to show: its plan, the steps reported, the end.
type applyCase struct {
	name    string
	destroy bool
	in      func() plan.Input
	steps   []views.Step
	outcome views.Outcome
}

func applyCases() []applyCase {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	step := func(addr, action, phase string, ms int, err error) views.Step {
		d := time.Duration(ms) * time.Millisecond
		return views.Step{Address: addr, Action: action, Phase: phase, Duration: d, Err: err, Time: at.Add(d)}
	}
	bridge := plan.Bridge{Name: "service", Addresses: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}}
	failure := errors.New("start unikernel db: tender exited with code 1")
	skipped := errors.New("skipped: unikernel.db did not succeed")
	return []applyCase{
		{
			name: "create",
			in: func() plan.Input {
				return plan.Input{Desired: &plan.Desired{Bridges: []plan.Bridge{bridge}, Unikernels: []plan.Unikernel{web()}}, Observed: host()}
			},
			steps: []views.Step{
				step("bridge.service", "create", "start", 0, nil),
				step("bridge.service", "create", "done", 12, nil),
				step("unikernel.web", "create", "start", 0, nil),
				step("unikernel.web", "create", "done", 1534, nil),
			},
			outcome: views.Outcome{Applied: planjson.Summary{Add: 2}, Done: 2, OK: true},
		},
		{
			name: "failed-and-skipped",
			in: func() plan.Input {
				u := web()
				u.DependsOn = []string{"db"}
				db := web()
				db.Name, db.Nets, db.Image.Nets = "db", nil, nil
				return plan.Input{Desired: &plan.Desired{Bridges: []plan.Bridge{bridge}, Unikernels: []plan.Unikernel{db, u}}, Observed: host()}
			},
			steps: []views.Step{
				step("bridge.service", "create", "done", 3, nil),
				step("unikernel.db", "create", "start", 0, nil),
				step("unikernel.db", "create", "failed", 250, failure),
				step("unikernel.web", "create", "skipped", 0, skipped),
			},
			outcome: views.Outcome{Applied: planjson.Summary{Add: 1}, Done: 1, Failed: 1, Skipped: 1},
		},
		{
			name: "problems",
			in: func() plan.Input {
				o := host()
				o.Tenders = map[string]plan.TenderLookup{}
				return plan.Input{Desired: &plan.Desired{Bridges: []plan.Bridge{bridge}, Unikernels: []plan.Unikernel{web()}}, Observed: o}
			},
		},
		{
			// A problem alike for eight unikernels is printed once, then
			// the others are named (five of them) in one line.
			name: "problems-alike",
			in: func() plan.Input {
				o := host()
				o.Tenders = map[string]plan.TenderLookup{}
				var us []plan.Unikernel
				for i := range 8 {
					u := web()
					u.Name = fmt.Sprintf("u%d", i)
					u.Pos = plan.Pos{File: "main.hcl", Line: 1 + 6*i}
					us = append(us, u)
				}
				return plan.Input{Desired: &plan.Desired{Bridges: []plan.Bridge{bridge}, Unikernels: us}, Observed: o}
			},
		},
		{
			name:    "destroy",
			destroy: true,
			in: func() plan.Input {
				o := host()
				running(o, web())
				return plan.Input{Observed: o, Destroy: true}
			},
			steps: []views.Step{
				step("unikernel.web", "delete", "done", 820, nil),
				step("bridge.service", "delete", "done", 2, nil),
			},
			outcome: views.Outcome{Applied: planjson.Summary{Destroy: 2}, Done: 2, OK: true},
		},
	}
}

// TestApply drives the apply views through an apply and compares what
// they print with testdata/apply/<case>.json (JSON lines) and .txt;
// go test -update rewrites those.
func TestApply(t *testing.T) {
	for _, tt := range applyCases() {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in()
			jp := planjson.FromPlan(plan.Make(in))
			jp.ConfigFingerprint, jp.HostFingerprint = "config-fingerprint", "host-fingerprint"
			for _, jsonOut := range []bool{true, false} {
				// One buffer for both streams: what a terminal shows.
				var out bytes.Buffer
				v := views.NewApply(views.Streams{Stdout: &out, Stderr: &out}, jsonOut, tt.destroy)
				if len(jp.Problems) > 0 {
					v.Problems(jp)
				} else {
					v.Plan(jp)
					v.Running()
					for _, s := range tt.steps {
						v.Step(s)
					}
					v.Outcome(tt.outcome)
				}
				ext := ".txt"
				if jsonOut {
					ext = ".json"
				}
				golden(t, filepath.Join("testdata", "apply", tt.name+ext), out.Bytes())
			}
		})
	}
}
