package platform

import (
	"slices"
	"testing"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
)

// plan has its own plain copies of the states and defaults that the data
// directory's formats define; these tests keep the two in step.

func TestStatesAgree(t *testing.T) {
	want := []plan.State{plan.StateStarting, plan.StateRunning, plan.StateBackoff, plan.StateExited, plan.StateFailed, plan.StateStopping, plan.StateStopped}
	var got []plan.State
	for _, s := range datadir.States {
		got = append(got, planStatus(&datadir.Status{State: s}).State)
	}
	if !slices.Equal(got, want) {
		t.Errorf("datadir.States as plan sees them = %q, want %q", got, want)
	}
	for _, s := range datadir.States {
		if got, want := plan.State(s).Ended(), s.Ended(); got != want {
			t.Errorf("state %q: plan says ended %v, datadir %v", s, got, want)
		}
	}
}

func TestDefaultsAgree(t *testing.T) {
	for _, tt := range []struct {
		name string
		plan plan.Duration
		file datadir.Duration
	}{
		{"backoff", plan.DefaultBackoff, datadir.DefaultBackoff},
		{"max_backoff", plan.DefaultMaxBackoff, datadir.DefaultMaxBackoff},
		{"stop_timeout", plan.DefaultStopTimeout, datadir.DefaultStopTimeout},
	} {
		if int64(tt.plan) != int64(tt.file) {
			t.Errorf("default %s: plan %s, datadir %s", tt.name, tt.plan, tt.file)
		}
	}
	for _, p := range [][2]string{{plan.RestartAlways, datadir.RestartAlways}, {plan.RestartOnFailure, datadir.RestartOnFailure}, {plan.RestartNever, datadir.RestartNever}} {
		if p[0] != p[1] {
			t.Errorf("restart policy: plan %q, datadir %q", p[0], p[1])
		}
	}
}

// TestSpecRoundTrip checks that a spec written for plan reads back as the
// same spec, with the paths and argv the platform adds.
func TestSpecRoundTrip(t *testing.T) {
	h := &Host{dbdir: "/var/lib/roost"}
	s := &plan.Spec{
		Name: "web", Image: "/etc/roost/web.hvt", ImageSHA256: "ab12", Target: "hvt", ABIVersion: 2,
		Tender: "/usr/bin/solo5-hvt", TenderVersion: "v0.9", MemoryMiB: 64, CPUs: []int{1}, Argv: []string{"--x"},
		Nets:        []plan.SpecNet{{Device: "service", Bridge: "br0", MAC: "02:00:00:00:00:01", Tap: "rt0123456789"}},
		Blocks:      []plan.SpecBlock{{Device: "storage", Block: "data", SectorSize: 512, SizeMiB: 8}},
		Restart:     plan.Restart{Policy: plan.RestartAlways, ExitCodes: []int{3}, Backoff: plan.DefaultBackoff, MaxBackoff: plan.DefaultMaxBackoff},
		StopTimeout: plan.DefaultStopTimeout, DependsOn: []string{"db"}, Source: "web.hcl:1",
		UID: DefaultUIDs[0],
	}
	f := h.specFile(s)
	if f.ImageFile != "/var/lib/roost/images/ab12" || f.Blocks[0].Path != "/var/lib/roost/block/data" {
		t.Errorf("specFile paths = %q, %q", f.ImageFile, f.Blocks[0].Path)
	}
	want := []string{"/usr/bin/solo5-hvt", "--mem=64", "--net:service=rt0123456789", "--net-mac:service=02:00:00:00:00:01",
		"--block:storage=/var/lib/roost/block/data", "--", "/var/lib/roost/images/ab12", "--x"}
	if !slices.Equal(f.Command, want) {
		t.Errorf("specFile command = %q\nwant %q", f.Command, want)
	}
	if back := planSpec(f); plan.Digest(back) != plan.Digest(s) {
		t.Errorf("planSpec(specFile(s)) = %+v, want %+v", back, s)
	}
}
