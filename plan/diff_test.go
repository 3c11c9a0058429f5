package plan_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/plan"
)

var hvt = plan.TenderLookup{Path: "/usr/bin/solo5-hvt", Version: "solo5-hvt tender, version v0.9.0"}

func web() plan.Unikernel {
	return plan.Unikernel{
		Name:        "web",
		Image:       plan.Image{Path: "/etc/roost/web.hvt", SHA256: strings.Repeat("a", 64), Target: "hvt", ABIVersion: 2, Nets: []string{"service"}},
		MemoryMiB:   32,
		Argv:        []string{"--ipv4=192.0.2.2/24"},
		Nets:        []plan.Net{{Device: "service", Bridge: "service", MAC: "02:00:00:00:00:01"}},
		Restart:     plan.Restart{Policy: plan.RestartOnFailure, Backoff: plan.DefaultBackoff, MaxBackoff: plan.DefaultMaxBackoff},
		StopTimeout: plan.DefaultStopTimeout,
		Pos:         plan.Pos{File: "web.hcl", Line: 3},
	}
}

func desired(us ...plan.Unikernel) *plan.Desired {
	return &plan.Desired{
		Bridges:    []plan.Bridge{{Name: "service", Addresses: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}}},
		Blocks:     []plan.Block{{Name: "data", SizeMiB: 16}},
		Unikernels: us,
	}
}

func emptyHost() *plan.Observed {
	return &plan.Observed{
		BootID:     "boot-1",
		Host:       plan.HostInfo{CPUs: []int{0, 1}, MemoryMiB: 4096, DiskFreeBytes: 10000 << 20},
		Bridges:    map[string]plan.ObservedBridge{},
		Taps:       map[string]plan.ObservedTap{},
		Blocks:     map[string]plan.ObservedBlock{},
		Unikernels: map[string]plan.ObservedUnikernel{},
		Images:     map[string]bool{},
		Tenders:    map[string]plan.TenderLookup{"hvt.2": hvt},
	}
}

// converged returns the host after d was applied: everything running.
func converged(d *plan.Desired) *plan.Observed {
	o := emptyHost()
	for _, b := range d.Bridges {
		o.Bridges[b.Name] = plan.ObservedBridge{Name: b.Name, Owned: true, Addresses: b.Addresses, MTU: 1500, Up: true}
	}
	for _, b := range d.Blocks {
		o.Blocks[b.Name] = plan.ObservedBlock{Name: b.Name, SizeBytes: b.SizeMiB << 20}
	}
	for i := range d.Unikernels {
		u := &d.Unikernels[i]
		s := plan.NewSpec(u, hvt)
		o.Unikernels[u.Name] = plan.ObservedUnikernel{Name: u.Name, Spec: s, ShimAlive: true, TenderAlive: true,
			Status: &plan.Status{State: plan.StateRunning, ShimPID: 100, TenderPID: 101, BootID: "boot-1"}}
		for _, n := range s.Nets {
			o.Taps[n.Tap] = plan.ObservedTap{Name: n.Tap, Unikernel: u.Name, Device: n.Device, Master: n.Bridge, Up: true}
		}
		o.Images[u.Image.SHA256] = true
	}
	return o
}

// summary renders a plan as one line per change plus problems, retained
// and not-running entries: the transcript tests compare.
func summary(p *plan.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		line := fmt.Sprintf("%s %s", c.Action.Symbol(), c.Address())
		for _, f := range c.Fields {
			if f.ForcesReplacement {
				line += " !" + f.Name
			} else if f.Before != "" {
				line += " ~" + f.Name
			}
		}
		if len(c.Reasons) > 0 {
			line += " (" + strings.Join(c.Reasons, "; ") + ")"
		}
		out = append(out, line)
	}
	for _, r := range p.Retained {
		out = append(out, "retained "+r.Name)
	}
	for _, n := range p.NotRunning {
		out = append(out, fmt.Sprintf("not running %s: %s", n.Name, n.State))
	}
	for _, pr := range p.Problems {
		out = append(out, "problem "+pr.String())
	}
	return out
}

func TestMake(t *testing.T) {
	code0, code1 := 0, 1
	tests := []struct {
		name    string
		desired *plan.Desired
		host    func(d *plan.Desired) *plan.Observed
		in      func(in *plan.Input)
		want    []string
	}{
		{
			name:    "empty-host",
			desired: desired(web()),
			host:    func(*plan.Desired) *plan.Observed { return emptyHost() },
			want: []string{
				"+ bridge.service (declared, not on the host)",
				"+ block.data (declared, not in the data directory)",
				"+ unikernel.web (declared, never applied)",
			},
		},
		{
			name:    "converged",
			desired: desired(web()),
			host:    converged,
			want:    nil,
		},
		{
			name: "image-digest-replaces",
			desired: func() *plan.Desired {
				u := web()
				u.Image.SHA256 = strings.Repeat("b", 64)
				return desired(u)
			}(),
			host: func(*plan.Desired) *plan.Observed { return converged(desired(web())) },
			want: []string{"-/+ unikernel.web !image"},
		},
		{
			name: "memory-and-argv-replace",
			desired: func() *plan.Desired {
				u := web()
				u.MemoryMiB = 64
				u.Argv = []string{"--ipv4=192.0.2.3/24"}
				return desired(u)
			}(),
			host: func(*plan.Desired) *plan.Observed { return converged(desired(web())) },
			want: []string{"-/+ unikernel.web !memory !argv"},
		},
		{
			name: "restart-policy-updates-in-place",
			desired: func() *plan.Desired {
				u := web()
				u.Restart.Policy = plan.RestartAlways
				u.StopTimeout = plan.Duration(3 * time.Second)
				return desired(u)
			}(),
			host: func(*plan.Desired) *plan.Observed { return converged(desired(web())) },
			want: []string{"~ unikernel.web ~restart ~stop_timeout"},
		},
		{
			name:    "tender-change-replaces",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Tenders["hvt.2"] = plan.TenderLookup{Path: "/opt/solo5/bin/solo5-hvt"}
				return o
			},
			want: []string{"-/+ unikernel.web !tender"},
		},
		{
			name:    "shim-missed-a-reload",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				u := o.Unikernels["web"]
				u.SpecStale = true // status.json names the digest of an older spec
				o.Unikernels["web"] = u
				return o
			},
			want: []string{"~ unikernel.web (the shim runs with another spec.json than the one on disk: status.json records a different digest (restart policy, stop timeout))"},
		},
		{
			name:    "tender-upgraded-in-place",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Tenders["hvt.2"] = plan.TenderLookup{Path: hvt.Path, Version: "solo5-hvt tender, version v0.9.1"}
				return o
			},
			want: []string{"-/+ unikernel.web !tender"},
		},
		{
			name:    "stored-image-missing-is-restored",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Images = map[string]bool{}
				return o
			},
			want: []string{"~ unikernel.web (stored image sha256 aaaaaaaaaaaa is missing; it is stored again from /etc/roost/web.hvt)"},
		},
		{
			name:    "stored-image-altered-is-restored-for-an-ended-one",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Images = map[string]bool{}
				o.ImagesAltered = []string{strings.Repeat("a", 64)}
				u := o.Unikernels["web"]
				u.ShimAlive, u.TenderAlive = false, false
				u.Status = &plan.Status{State: plan.StateFailed, BootID: "boot-1"}
				o.Unikernels["web"] = u
				return o
			},
			want: []string{"~ unikernel.web (stored image sha256 aaaaaaaaaaaa was altered (its content has another digest); it is stored again from /etc/roost/web.hvt)"},
		},
		{
			name:    "data-directory-conflicts-are-problems-also-for-destroy",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Conflicts = []plan.Conflict{{Path: "unikernels/hello", Problem: "is a symbolic link"}}
				return o
			},
			in: func(in *plan.Input) { in.Destroy = true },
			want: []string{
				"- bridge.service (roost destroy)",
				"- unikernel.web (roost destroy)",
				"retained data",
				"problem host: unikernels/hello is a symbolic link, which roost did not make; roost leaves it alone: move it away (and look at what it is) before applying",
			},
		},
		{
			name:    "missing-shim-blocks-a-start",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := emptyHost()
				o.Shim = plan.TenderLookup{Err: "no usable roost-shim: looked in /usr/bin and $PATH"}
				return o
			},
			want: []string{
				"+ bridge.service (declared, not on the host)",
				"+ block.data (declared, not in the data directory)",
				"+ unikernel.web (declared, never applied)",
				"problem host: no usable roost-shim: looked in /usr/bin and $PATH",
			},
		},
		{
			name:    "missing-shim-is-no-matter-when-nothing-starts",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Shim = plan.TenderLookup{Err: "no usable roost-shim: looked in /usr/bin and $PATH"}
				return o
			},
		},
		{
			name:    "unknown-replace-and-target",
			desired: desired(web()),
			host:    converged,
			in:      func(in *plan.Input) { in.Replace = []string{"wbe"}; in.Targets = []string{"nosuch"} },
			want: []string{
				`problem -replace: no declared unikernel "wbe" to replace`,
				`problem -target: "nosuch" names no resource of the configuration or the host`,
			},
		},
		{
			name:    "shim-died",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				u := o.Unikernels["web"]
				u.ShimAlive, u.TenderAlive = false, false
				o.Unikernels["web"] = u
				return o
			},
			want: []string{"> unikernel.web (no shim holds shim.lock; status.json last said running, shim pid 100, tender pid 101)"},
		},
		{
			name:    "rebooted",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.BootID = "boot-2"
				u := o.Unikernels["web"]
				u.ShimAlive, u.TenderAlive = false, false
				o.Unikernels["web"] = u
				o.Taps = map[string]plan.ObservedTap{}
				return o
			},
			want: []string{"> unikernel.web (host rebooted since it last ran)"},
		},
		{
			name:    "exited-by-policy-is-converged",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				u := o.Unikernels["web"]
				u.ShimAlive, u.TenderAlive = false, false
				u.Status = &plan.Status{State: plan.StateExited, BootID: "boot-1", LastExit: &plan.Exit{Code: &code0}}
				o.Unikernels["web"] = u
				return o
			},
			want: []string{"not running web: exited"},
		},
		{
			name:    "failed-by-policy-replace-requested",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				u := o.Unikernels["web"]
				u.ShimAlive, u.TenderAlive = false, false
				u.Status = &plan.Status{State: plan.StateFailed, BootID: "boot-1", LastExit: &plan.Exit{Code: &code1}}
				o.Unikernels["web"] = u
				return o
			},
			in:   func(in *plan.Input) { in.Replace = []string{"web"} },
			want: []string{"-/+ unikernel.web (replacement requested with -replace)"},
		},
		{
			name:    "failed-after-its-tap-vanished-is-drift",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				u := o.Unikernels["web"]
				u.ShimAlive, u.TenderAlive = false, false
				u.Status = &plan.Status{State: plan.StateFailed, BootID: "boot-1", LastExit: &plan.Exit{Code: &code1}}
				o.Unikernels["web"] = u
				o.Taps = map[string]plan.ObservedTap{}
				return o
			},
			want: []string{"-/+ unikernel.web (tap " + plan.TapName("web", "service") + " of net \"service\" missing)"},
		},
		{
			name:    "tap-missing-replaces",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Taps = map[string]plan.ObservedTap{}
				return o
			},
			want: []string{"-/+ unikernel.web (tap " + plan.TapName("web", "service") + " of net \"service\" missing)"},
		},
		{
			name:    "tap-detached-updates",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				tap := plan.TapName("web", "service")
				t := o.Taps[tap]
				t.Master = ""
				o.Taps[tap] = t
				return o
			},
			want: []string{"~ unikernel.web (tap " + plan.TapName("web", "service") + " is on bridge \"\", not \"service\")"},
		},
		{
			name:    "orphans",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				old := web()
				old.Name = "old"
				os := converged(desired(old))
				o.Unikernels["old"] = os.Unikernels["old"]
				o.Taps["rtdeadbeef00"] = plan.ObservedTap{Name: "rtdeadbeef00", Unikernel: "gone", Device: "service", Master: "service", Up: true}
				o.Bridges["br-old"] = plan.ObservedBridge{Name: "br-old", Owned: true}
				o.Bridges["eth-br"] = plan.ObservedBridge{Name: "eth-br", Owned: false}
				o.Blocks["scratch"] = plan.ObservedBlock{Name: "scratch", SizeBytes: 1 << 20}
				return o
			},
			want: []string{
				"- bridge.br-old (not in the configuration)",
				"- unikernel.old (not in the configuration)",
				"- tap.rtdeadbeef00 (owned by gone:service, which the configuration does not declare)",
				"retained scratch",
			},
		},
		{
			name:    "orphan-block-deleted-with-allow-data-loss",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Blocks["scratch"] = plan.ObservedBlock{Name: "scratch", SizeBytes: 1 << 20}
				return o
			},
			in:   func(in *plan.Input) { in.AllowDataLoss = true },
			want: []string{"- block.scratch (not in the configuration; its data is deleted (-allow-data-loss))"},
		},
		{
			name: "block-grows",
			desired: func() *plan.Desired {
				d := desired(web())
				d.Blocks[0].SizeMiB = 32
				return d
			}(),
			host: func(*plan.Desired) *plan.Observed { return converged(desired(web())) },
			want: []string{"~ block.data ~size"},
		},
		{
			name: "block-grows-under-its-unikernel",
			desired: func() *plan.Desired {
				db := web()
				db.Name, db.Nets = "db", nil
				db.Blocks = []plan.BlockAttachment{{Device: "storage", Block: "data", SectorSize: 512, SizeMiB: 32}}
				d := desired(db)
				d.Blocks[0].SizeMiB = 32
				return d
			}(),
			host: func(*plan.Desired) *plan.Observed {
				db := web()
				db.Name, db.Nets = "db", nil
				db.Blocks = []plan.BlockAttachment{{Device: "storage", Block: "data", SectorSize: 512, SizeMiB: 16}}
				return converged(desired(db))
			},
			want: []string{"~ block.data ~size", "-/+ unikernel.db !blocks"},
		},
		{
			name: "block-shrink-refused",
			desired: func() *plan.Desired {
				d := desired(web())
				d.Blocks[0].SizeMiB = 8
				return d
			}(),
			host: func(*plan.Desired) *plan.Observed { return converged(desired(web())) },
			want: []string{"problem block.data: shrinking from 16 MiB to 8 MiB would destroy data at its end; pass -allow-data-loss to shrink it"},
		},
		{
			name: "block-shrink-allowed",
			desired: func() *plan.Desired {
				d := desired(web())
				d.Blocks[0].SizeMiB = 8
				return d
			}(),
			host: func(*plan.Desired) *plan.Observed { return converged(desired(web())) },
			in:   func(in *plan.Input) { in.AllowDataLoss = true },
			want: []string{"~ block.data ~size (shrinking destroys the data beyond the new size (-allow-data-loss))"},
		},
		{
			name:    "foreign-bridge-is-used-not-touched",
			desired: &plan.Desired{Unikernels: []plan.Unikernel{web()}},
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Bridges["service"] = plan.ObservedBridge{Name: "service", Owned: false, Up: true}
				return o
			},
			want: nil,
		},
		{
			name: "host-problems",
			desired: func() *plan.Desired {
				u := web()
				u.CPUs = []int{7}
				u.MemoryMiB = 8192
				u.Nets[0].Bridge = "nosuch"
				v := web()
				v.Name = "spt"
				v.Nets = nil
				v.Image.Target = "spt"
				return &plan.Desired{Unikernels: []plan.Unikernel{u, v}}
			}(),
			host: func(*plan.Desired) *plan.Observed {
				o := emptyHost()
				o.Tenders["spt.2"] = plan.TenderLookup{Err: "no Solo5 tender found: no solo5-spt.2 or solo5-spt speaking ABI version 2 in $PATH"}
				return o
			},
			want: []string{
				"+ unikernel.web (declared, never applied)",
				"problem web.hcl:3: unikernel.web: net \"service\": bridge \"nosuch\" is neither declared nor present on the host; declare it with bridge \"nosuch\" {} or create it",
				"problem web.hcl:3: unikernel.web: cpu 7 does not exist on this host (online: 0,1)",
				"problem web.hcl:3: unikernel.web: memory 8192 MiB exceeds the host's 4096 MiB",
				"problem web.hcl:3: unikernel.spt: no Solo5 tender found: no solo5-spt.2 or solo5-spt speaking ABI version 2 in $PATH",
			},
		},
		{
			name: "memory-in-all-over-host",
			desired: func() *plan.Desired {
				var us []plan.Unikernel
				for i := range 3 {
					u := web()
					u.Name = fmt.Sprint("web-", i)
					u.Nets = nil
					u.MemoryMiB = 2048
					us = append(us, u)
				}
				return &plan.Desired{Unikernels: us}
			}(),
			host: func(*plan.Desired) *plan.Observed { return emptyHost() },
			want: []string{
				"+ unikernel.web-0 (declared, never applied)",
				"+ unikernel.web-1 (declared, never applied)",
				"+ unikernel.web-2 (declared, never applied)",
				"problem host: the unikernels declare 6144 MiB of memory in all; the host has 4096 MiB",
			},
		},
		{
			// Free space in bytes, not rounded down: a disk just under 2
			// MiB free must not read as 1 MiB here and 2 MiB there.
			name: "disk-free-is-not-rounded",
			desired: func() *plan.Desired {
				d := desired()
				d.Blocks[0].SizeMiB = 2
				return d
			}(),
			host: func(*plan.Desired) *plan.Observed {
				o := emptyHost()
				o.Host.DiskFreeBytes = 2<<20 - 12288
				return o
			},
			want: []string{
				"+ bridge.service (declared, not on the host)",
				"+ block.data (declared, not in the data directory)",
				"problem host: the blocks need 2 MiB more on the data directory's file system, which has 1.99 MiB free",
			},
		},
		{
			name: "disk-too-small",
			desired: func() *plan.Desired {
				d := desired()
				d.Blocks[0].SizeMiB = 20000
				return d
			}(),
			host: func(*plan.Desired) *plan.Observed { return emptyHost() },
			want: []string{
				"+ bridge.service (declared, not on the host)",
				"+ block.data (declared, not in the data directory)",
				"problem host: the blocks need 20000 MiB more on the data directory's file system, which has 10000 MiB free",
			},
		},
		{
			name: "target-includes-dependencies",
			desired: func() *plan.Desired {
				u := web()
				u.DependsOn = []string{"db"}
				db := web()
				db.Name = "db"
				db.Nets = nil
				other := web()
				other.Name = "other"
				other.Nets = nil
				return desired(u, db, other)
			}(),
			host: func(*plan.Desired) *plan.Observed { return emptyHost() },
			in:   func(in *plan.Input) { in.Targets = []string{"unikernel.web"} },
			want: []string{
				"+ bridge.service (declared, not on the host)",
				"+ unikernel.db (declared, never applied)",
				"+ unikernel.web (declared, never applied)",
			},
		},
		{
			name:    "destroy-keeps-blocks",
			desired: desired(web()),
			host: func(d *plan.Desired) *plan.Observed {
				o := converged(d)
				o.Bridges["foreign"] = plan.ObservedBridge{Name: "foreign"}
				return o
			},
			in: func(in *plan.Input) { in.Destroy = true },
			want: []string{
				"- bridge.service (roost destroy)",
				"- unikernel.web (roost destroy)",
				"retained data",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := plan.Input{Desired: tt.desired, Observed: tt.host(tt.desired)}
			if tt.in != nil {
				tt.in(&in)
			}
			got := summary(plan.Make(in))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("plan mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMakeIdempotent applies a plan to a simulated host and plans again:
// the second plan must be empty.
func TestMakeIdempotent(t *testing.T) {
	d := desired(web())
	if p := plan.Make(plan.Input{Desired: d, Observed: emptyHost()}); len(p.Changes) != 3 {
		t.Fatalf("first plan has %d changes, want 3", len(p.Changes))
	}
	if p := plan.Make(plan.Input{Desired: d, Observed: converged(d)}); !p.Empty() {
		t.Errorf("second plan = %v, want no changes", summary(p))
	}
}

func TestHostFingerprint(t *testing.T) {
	d := desired(web())
	base := plan.HostFingerprint(converged(d))
	same := converged(d)
	same.Host.DiskFreeBytes = 1 << 20
	u := same.Unikernels["web"]
	u.Status = &plan.Status{State: plan.StateBackoff, Restarts: 3, BootID: "boot-1"}
	same.Unikernels["web"] = u
	if got := plan.HostFingerprint(same); got != base {
		t.Errorf("fingerprint changed with free disk and a live shim's state: %s != %s", got, base)
	}
	changed := converged(d)
	changed.Taps = map[string]plan.ObservedTap{}
	if got := plan.HostFingerprint(changed); got == base {
		t.Error("fingerprint did not change when a tap went missing")
	}
}

func TestTapName(t *testing.T) {
	// SHA-256("web/service") begins 351d301529...: computed with
	// printf web/service | sha256sum.
	if got, want := plan.TapName("web", "service"), "rt351d301529"; got != want {
		t.Errorf("TapName(web, service) = %q, want %q", got, want)
	}
}
