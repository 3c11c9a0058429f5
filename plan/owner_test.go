package plan_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/plan"
)

// TestMakeOwnership checks that a plan never takes or deletes another
// data directory's links: a tap or bridge that another data directory
// made (its alias names that one's ID) is foreign, and one a roost before
// data directory IDs made (no ID) is this data directory's only as far
// as its applied specs name it.
func TestMakeOwnership(t *testing.T) {
	webTap := plan.TapName("web", "service")
	legacy := func(o *plan.Observed, name string) {
		b := o.Bridges[name]
		b.Legacy = true
		o.Bridges[name] = b
	}
	// oldDataDir is the host after d was applied by a roost before data
	// directory IDs: this data directory existed then, and its links
	// name none.
	oldDataDir := func(d *plan.Desired) *plan.Observed {
		o := converged(d)
		o.LegacyLinks = true
		legacy(o, "service")
		t := o.Taps[webTap]
		t.Legacy = true
		o.Taps[webTap] = t
		return o
	}
	tests := []struct {
		name     string
		desired  *plan.Desired
		host     func(d *plan.Desired) *plan.Observed
		in       func(in *plan.Input)
		want     []string
		warnings []string // substrings, one per warning
	}{
		{
			// Another data directory runs "web" in this namespace: its
			// tap is foreign, and the bridge it made is used as it is.
			name:    "another-data-directory's-links",
			desired: desired(),
			host: func(*plan.Desired) *plan.Observed {
				o := emptyHost()
				o.Bridges["service"] = plan.ObservedBridge{Name: "service", OtherDataDir: "0123456789", MTU: 1500, Up: true}
				o.Foreign = map[string]string{webTap: plan.OtherDataDirTap("web", "service", "0123456789")}
				return o
			},
			want: []string{"+ block.data (declared, not in the data directory)"},
			warnings: []string{
				`bridge "service" is another roost data directory's (ID 0123456789) and is used as it is`,
			},
		},
		{
			name:    "a-tap-name-another-data-directory-holds",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := emptyHost()
				o.Bridges["service"] = plan.ObservedBridge{Name: "service", Owned: true, Addresses: d.Bridges[0].Addresses, MTU: 1500, Up: true}
				o.Foreign = map[string]string{webTap: plan.OtherDataDirTap("web", "service", "0123456789")}
				return o
			},
			want: []string{
				"+ block.data (declared, not in the data directory)",
				"+ unikernel.web (declared, never applied)",
				`problem web.hcl:3: unikernel.web: net "service": interface ` + webTap + `, the name of its tap, exists and is the tap of unikernel web (net service) of another roost data directory (ID 0123456789); roost leaves it alone: give this unikernel or its net device another name`,
			},
		},
		{
			// Made by a roost before IDs, and no spec of this data
			// directory names them: left alone, with a warning each.
			name:    "legacy-links-nobody-here-applied",
			desired: desired(),
			host: func(*plan.Desired) *plan.Observed {
				o := emptyHost()
				o.Bridges["old"] = plan.ObservedBridge{Name: "old", Owned: true, Legacy: true, MTU: 1500, Up: true}
				o.Taps["rtdeadbeef00"] = plan.ObservedTap{Name: "rtdeadbeef00", Unikernel: "gone", Device: "service", Master: "old", Up: true, Legacy: true}
				return o
			},
			want: []string{"+ bridge.service (declared, not on the host)", "+ block.data (declared, not in the data directory)"},
			warnings: []string{
				`bridge "old" was made by a roost before data directories had IDs and is not known to be this data directory's`,
				`tap rtdeadbeef00 (unikernel gone, net "service") was made by a roost before data directories had IDs and is not known to be this data directory's`,
			},
		},
		{
			name:    "legacy-tap-of-a-unikernel-never-applied-here",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(desired())
				o.Taps[webTap] = plan.ObservedTap{Name: webTap, Unikernel: "web", Device: "service", Master: "service", Up: true, Legacy: true}
				return o
			},
			want: []string{
				"+ unikernel.web (declared, never applied)",
				`problem web.hcl:3: unikernel.web: net "service": tap ` + webTap + ` exists, made by a roost before data directories had IDs, and it is not known to be this data directory's: it may be another data directory's unikernel web; roost leaves it alone: delete it if nothing uses it, or rename the unikernel`,
			},
		},
		{
			// This data directory's own, from before IDs: its specs
			// name them. Running: nothing to do but mark the bridge.
			name:    "legacy-links-of-this-data-directory",
			desired: desired(web()),
			host:    oldDataDir,
			want:    []string{"~ bridge.service (made by a roost before data directories had IDs: its alias gets this data directory's)"},
		},
		{
			name:    "legacy-links-of-this-data-directory-destroyed",
			desired: desired(web()),
			host:    oldDataDir,
			in:      func(in *plan.Input) { in.Destroy = true },
			want:    []string{"- bridge.service (roost destroy)", "- unikernel.web (roost destroy)", "retained data"},
		},
		{
			// A data directory made since IDs runs a unikernel on a
			// bridge a roost before IDs made: the bridge is another's,
			// never changed nor deleted, though its specs use it.
			name: "legacy-bridge-a-new-data-directory-uses",
			desired: func() *plan.Desired {
				d := desired(web())
				d.Bridges[0].Addresses = nil
				return d
			}(),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				legacy(o, "service")
				return o
			},
			in:   func(in *plan.Input) { in.Destroy = true },
			want: []string{"- unikernel.web (roost destroy)", "retained data"},
			warnings: []string{
				`bridge "service" was made by a roost before data directories had IDs and is not known to be this data directory's`,
			},
		},
		{
			name:    "legacy-bridge-a-new-data-directory-declares",
			desired: desired(),
			host: func(d *plan.Desired) *plan.Observed {
				o := emptyHost()
				o.Bridges["service"] = plan.ObservedBridge{Name: "service", Owned: true, Legacy: true, MTU: 1500, Up: true}
				return o
			},
			want: []string{"+ block.data (declared, not in the data directory)"},
			warnings: []string{
				`bridge "service" was made by a roost before data directories had IDs, is not known to be this data directory's, and is used as it is`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := plan.Input{Desired: tt.desired, Observed: tt.host(tt.desired)}
			if tt.in != nil {
				tt.in(&in)
			}
			p := plan.Make(in)
			if diff := cmp.Diff(tt.want, summary(p)); diff != "" {
				t.Errorf("plan mismatch (-want +got):\n%s", diff)
			}
			if len(p.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings = %q, want %d", p.Warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(p.Warnings[i], w) {
					t.Errorf("warning %d = %q, want it to say %q", i, p.Warnings[i], w)
				}
			}
		})
	}
}
