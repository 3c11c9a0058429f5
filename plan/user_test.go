package plan_test

import (
	"strings"
	"testing"

	"github.com/roostd/roost/plan"
)

// usersHost is a host whose tenders run under users of their own, with
// /dev/kvm and /dev/net/tun as kvm and tun say.
func usersHost(kvm, tun uint32, kvmGID int) *plan.Observed {
	o := emptyHost()
	o.Host.TenderUsers = true
	o.Host.KVM = &plan.DeviceNode{Path: "/dev/kvm", Mode: kvm, GID: kvmGID}
	o.Host.Tun = &plan.DeviceNode{Path: "/dev/net/tun", Mode: tun}
	return o
}

func problems(p *plan.Plan) string {
	var s []string
	for _, pr := range p.Problems {
		s = append(s, pr.Resource+": "+pr.Message)
	}
	return strings.Join(s, "\n")
}

func TestTenderUserChecks(t *testing.T) {
	root := web()
	root.RunAsRoot = true
	for _, tt := range []struct {
		name string
		u    plan.Unikernel
		host *plan.Observed
		want []string // substrings of the problems; none: no problem
	}{
		{"debian", web(), usersHost(0o660, 0o666, 108), nil},
		{"kvm 0600 root", web(), usersHost(0o600, 0o666, 0), []string{
			"/dev/kvm is mode 0600, group 0", `KERNEL=="kvm", GROUP="kvm", MODE="0660"`, "unprivileged = false"}},
		{"kvm 0660 root group", web(), usersHost(0o660, 0o666, 0), []string{"/dev/kvm is mode 0660, group 0"}},
		{"tun 0600", web(), usersHost(0o660, 0o600, 108), []string{
			"/dev/net/tun is mode 0600", "chmod 0666 /dev/net/tun", `KERNEL=="tun", MODE="0666"`}},
		{"root needs neither", root, usersHost(0o600, 0o600, 0), nil},
		{"kvm missing", web(), func() *plan.Observed {
			o := usersHost(0, 0o666, 0)
			o.Host.KVM.Err = "/dev/kvm: no such file or directory"
			return o
		}(), []string{"/dev/kvm: no such file or directory"}},
		{"range collides", web(), func() *plan.Observed {
			o := usersHost(0o660, 0o666, 108)
			o.Host.UIDProblems = []string{`5000-5999 holds 5001, the user "bob" of /etc/passwd`}
			return o
		}(), []string{`unikernel_uids: 5000-5999 holds 5001, the user "bob"`}},
		{"host without users", web(), func() *plan.Observed {
			o := usersHost(0o600, 0o600, 0)
			o.Host.TenderUsers = false
			return o
		}(), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(plan.Make(plan.Input{Desired: desired(tt.u), Observed: tt.host}))
			if len(tt.want) == 0 && got != "" {
				t.Errorf("problems = %s, want none", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems = %s\nwant one with %q", got, w)
				}
			}
		})
	}
}

// TestUserField checks that plan shows a tender that runs as root, and
// replaces one applied before tenders had users.
func TestUserField(t *testing.T) {
	root := web()
	root.RunAsRoot = true
	p := plan.Make(plan.Input{Desired: desired(root), Observed: usersHost(0o660, 0o666, 108)})
	var fields []string
	for _, c := range p.Changes {
		for _, f := range c.Fields {
			fields = append(fields, f.Name+"="+f.After)
		}
	}
	if !strings.Contains(strings.Join(fields, " "), "user=root") {
		t.Errorf("creating a root tender: fields %q, want user=root", fields)
	}

	d := desired(web())
	o := converged(d)
	u := o.Unikernels["web"]
	u.Spec.RunAsRoot = true // as platform reads a spec.json without a uid
	o.Unikernels["web"] = u
	got := summary(plan.Make(plan.Input{Desired: d, Observed: o}))
	if s := strings.Join(got, "\n"); !strings.Contains(s, "web") || !strings.Contains(s, "user") {
		t.Errorf("upgrade of a root tender: plan %q, want web replaced for its user", got)
	}
}
