package views_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planjson"
)

var update = flag.Bool("update", false, "rewrite the golden files with the actual output")

func web() plan.Unikernel {
	return plan.Unikernel{
		Name:        "web",
		Image:       plan.Image{Path: "/etc/roost/web.hvt", SHA256: strings.Repeat("3f2a", 16), Target: "hvt", ABIVersion: 2, Nets: []string{"service"}},
		MemoryMiB:   32,
		Argv:        []string{"--ipv4=192.0.2.2/24"},
		Nets:        []plan.Net{{Device: "service", Bridge: "service", MAC: "00:80:41:42:21:ba"}},
		Restart:     plan.Restart{Policy: plan.RestartOnFailure, Backoff: plan.DefaultBackoff, MaxBackoff: plan.DefaultMaxBackoff},
		StopTimeout: plan.DefaultStopTimeout,
	}
}

var tender = plan.TenderLookup{Path: "/usr/local/bin/solo5-hvt", Version: "solo5-hvt tender, version v0.9.0"}

func host() *plan.Observed {
	return &plan.Observed{
		BootID: "boot", Host: plan.HostInfo{CPUs: []int{0, 1}, MemoryMiB: 4096, DiskFreeBytes: 10000 << 20},
		Bridges: map[string]plan.ObservedBridge{}, Taps: map[string]plan.ObservedTap{}, Blocks: map[string]plan.ObservedBlock{},
		Unikernels: map[string]plan.ObservedUnikernel{}, Images: map[string]bool{}, Tenders: map[string]plan.TenderLookup{"hvt.2": tender},
	}
}

func running(o *plan.Observed, u plan.Unikernel) {
	s := plan.NewSpec(&u, tender)
	o.Unikernels[u.Name] = plan.ObservedUnikernel{Name: u.Name, Spec: s, ShimAlive: true, TenderAlive: true,
		Status: &plan.Status{State: plan.StateRunning, ShimPID: 41, TenderPID: 42, BootID: "boot"}}
	o.Images[s.ImageSHA256] = true // stored, as applied
	for _, n := range s.Nets {
		o.Taps[n.Tap] = plan.ObservedTap{Name: n.Tap, Unikernel: u.Name, Device: n.Device, Master: n.Bridge, Up: true}
	}
	o.Bridges["service"] = plan.ObservedBridge{Name: "service", Owned: true, Addresses: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}, MTU: 1500, Up: true}
}

// TestWritePlan renders plans as text and JSON and compares them with
// testdata/plan/<case>.txt and .json; go test -update rewrites those.
func TestWritePlan(t *testing.T) {
	bridge := plan.Bridge{Name: "service", Addresses: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}}
	code := 0
	tests := []struct {
		name string
		in   func() plan.Input
	}{
		{"create", func() plan.Input {
			return plan.Input{Desired: &plan.Desired{Bridges: []plan.Bridge{bridge}, Blocks: []plan.Block{{Name: "data", SizeMiB: 16}},
				Unikernels: []plan.Unikernel{web()}}, Observed: host()}
		}},
		{"replace-and-update", func() plan.Input {
			o := host()
			running(o, web())
			db := web()
			db.Name, db.Nets, db.Image.Nets = "db", nil, nil
			running(o, db)
			u := web()
			u.MemoryMiB = 64
			db.Restart.Policy = plan.RestartAlways
			return plan.Input{Desired: &plan.Desired{Bridges: []plan.Bridge{bridge}, Unikernels: []plan.Unikernel{db, u}}, Observed: o}
		}},
		{"start-retained-not-running", func() plan.Input {
			o := host()
			running(o, web())
			u := o.Unikernels["web"]
			u.ShimAlive, u.TenderAlive = false, false
			o.Unikernels["web"] = u
			job := web()
			job.Name, job.Nets, job.Image.Nets = "job", nil, nil
			running(o, job)
			j := o.Unikernels["job"]
			j.ShimAlive, j.TenderAlive = false, false
			j.Status = &plan.Status{State: plan.StateExited, BootID: "boot", LastExit: &plan.Exit{Code: &code, At: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}}
			o.Unikernels["job"] = j
			o.Blocks["old"] = plan.ObservedBlock{Name: "old", SizeBytes: 8 << 20}
			return plan.Input{Desired: &plan.Desired{Bridges: []plan.Bridge{bridge}, Unikernels: []plan.Unikernel{job, web()}}, Observed: o}
		}},
		{"destroy", func() plan.Input {
			o := host()
			running(o, web())
			o.Blocks["data"] = plan.ObservedBlock{Name: "data", SizeBytes: 16 << 20}
			return plan.Input{Observed: o, Destroy: true}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in()
			jp := planjson.FromPlan(plan.Make(in))
			jp.ConfigFingerprint, jp.HostFingerprint = "config-fingerprint", "host-fingerprint"
			var text bytes.Buffer
			views.WritePlan(&text, jp, views.NewColors(false))
			js, err := json.MarshalIndent(jp, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "plan", tt.name+".txt"), text.Bytes())
			golden(t, filepath.Join("testdata", "plan", tt.name+".json"), append(js, '\n'))
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
