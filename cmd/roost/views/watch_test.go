package views_test

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
)

// TestWatchLines renders each kind of watch line as JSON and as text
// and compares them with testdata/watch/<case>.json and .txt; go test
// -update rewrites those.
func TestWatchLines(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 30, 15, 123456789, time.UTC)
	event := func(e apply.WatchEvent) func(*views.Watch) {
		return func(v *views.Watch) {
			e.Time = at
			v.Event(e)
		}
	}
	u := web()
	prior := plan.NewSpec(&u, tender)
	u.Image.SHA256 = strings.Repeat("91bc", 16)
	u.MemoryMiB = 64
	next := plan.NewSpec(&u, tender)
	replace := &plan.Change{Kind: plan.KindUnikernel, Name: "web", Action: plan.Replace, Spec: next,
		Prior:  &plan.ObservedUnikernel{Name: "web", Spec: prior},
		Fields: []plan.Field{{Name: "image", Before: "/etc/roost/web.hvt", After: "/etc/roost/web2.hvt"}, {Name: "memory", Before: "32 MiB", After: "64 MiB"}}}
	heal := &plan.Change{Kind: plan.KindUnikernel, Name: "web", Action: plan.Start, Reasons: []string{`tap rt3f2a5b0c11 of net "service" missing`}}
	d := &plan.Desired{Unikernels: []plan.Unikernel{web()}, Bridges: make([]plan.Bridge, 1), Blocks: make([]plan.Block, 2)}
	tests := []struct {
		name string
		do   func(*views.Watch)
	}{
		{"start", func(v *views.Watch) { v.Started("/var/lib/roost") }},
		{"stop", func(v *views.Watch) { v.Stopped() }},
		{"metrics", func(v *views.Watch) { v.ServingMetrics("127.0.0.1:9772") }},
		{"no-drift", func(v *views.Watch) { v.NoDrift(errors.New("link events: operation not supported"), 30*time.Second) }},
		{"diagnostics", func(v *views.Watch) {
			v.Diagnostics(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unclosed configuration block",
				Detail: "There is no closing brace for this block before the end of the file."}}, nil)
		}},
		{"config-changed", event(apply.WatchEvent{Kind: apply.KindConfig, Reason: "config changed: main.hcl"})},
		{"config-generation", event(apply.WatchEvent{Kind: apply.KindConfig, Generation: 2, Commit: "0123456789abcdef0123456789abcdef01234567", Desired: d})},
		{"config-valid-again", event(apply.WatchEvent{Kind: apply.KindConfig, Generation: 2})},
		{"invalid", event(apply.WatchEvent{Kind: apply.KindInvalid, Generation: 2, Err: errors.New("2 errors")})},
		{"invalid-at-start", event(apply.WatchEvent{Kind: apply.KindInvalid, Err: errors.New("1 error")})},
		{"drift", event(apply.WatchEvent{Kind: apply.KindDrift, Reason: "drift: tap rt3f2a5b0c11 of web removed"})},
		{"problem", event(apply.WatchEvent{Kind: apply.KindProblem, Problem: &plan.Problem{Pos: plan.Pos{File: "main.hcl", Line: 3},
			Resource: "unikernel.web", Message: "no solo5-hvt tender for ABI 2 in /usr/local/bin"}})},
		{"problems-alike", func(v *views.Watch) {
			// In text, the repeats of a message are named in one line
			// before the next line; -json keeps a line per problem.
			for i := range 8 {
				for _, msg := range []string{"/dev/kvm is mode 0600, group root: an unprivileged hvt tender opens it through its group", "/dev/net/tun is mode 0600"} {
					v.Event(apply.WatchEvent{Kind: apply.KindProblem, Time: at, Problem: &plan.Problem{Pos: plan.Pos{File: "main.hcl", Line: 1 + 6*i},
						Resource: fmt.Sprintf("unikernel.u%d", i), Message: msg}})
				}
			}
			v.Event(apply.WatchEvent{Kind: apply.KindProblem, Time: at, Problem: &plan.Problem{Resource: "host", Message: "no bridge"}})
			v.Event(apply.WatchEvent{Kind: apply.KindPass, Time: at, Result: apply.PassBlocked, Generation: 1, Reasons: []string{"start"}, Duration: 4 * time.Millisecond})
		}},
		{"error", event(apply.WatchEvent{Kind: apply.KindError, Err: fmt.Errorf("prune images: %w", errors.New("permission denied"))})},
		{"error-directory-gone", event(apply.WatchEvent{Kind: apply.KindError, Err: &config.WatchError{Dir: "/etc/roost", Err: config.ErrDirGone}})},
		{"error-rescan", event(apply.WatchEvent{Kind: apply.KindError, Err: &config.WatchError{Dir: "/etc/roost", Err: fsnotify.ErrEventOverflow}})},
		{"step-replaced", event(apply.WatchEvent{Kind: apply.KindStep, Address: "unikernel.web", Action: plan.Replace, Phase: apply.PhaseDone,
			Change: replace, Duration: 1234 * time.Millisecond})},
		{"step-healed", event(apply.WatchEvent{Kind: apply.KindStep, Address: "unikernel.web", Action: plan.Start, Phase: apply.PhaseDone,
			Change: heal, Duration: 85 * time.Millisecond})},
		{"step-failed", event(apply.WatchEvent{Kind: apply.KindStep, Address: "unikernel.db", Action: plan.Create, Phase: apply.PhaseFailed,
			Duration: 3 * time.Millisecond, Err: errors.New("tender exited with code 1")})},
		{"step-skipped", event(apply.WatchEvent{Kind: apply.KindStep, Address: "unikernel.app", Action: plan.Create, Phase: apply.PhaseSkipped,
			Err: apply.ErrSkipped})},
		{"pass-ok", event(apply.WatchEvent{Kind: apply.KindPass, Result: apply.PassOK, Generation: 1, Commit: "0123456789abcdef",
			Reasons: []string{"start"}, Changes: 3, Duration: 412 * time.Millisecond})},
		{"pass-failed", event(apply.WatchEvent{Kind: apply.KindPass, Result: apply.PassFailed, Generation: 2,
			Reasons: []string{"config changed: main.hcl", "drift: tap rt3f2a5b0c11 of web removed"}, Changes: 2, Failed: 1, Duration: 95 * time.Millisecond})},
		{"pass-lock-failed", event(apply.WatchEvent{Kind: apply.KindPass, Result: apply.PassFailed, Generation: 2,
			Reasons: []string{"resync"}, Err: errors.New("lock /var/lib/roost: timed out after 5m0s"), Duration: 5 * time.Minute})},
		{"pass-noop", event(apply.WatchEvent{Kind: apply.KindPass, Result: apply.PassNoop, Generation: 2,
			Reasons: []string{"SIGHUP", "resync"}, Duration: 7 * time.Millisecond})},
		{"pass-blocked", event(apply.WatchEvent{Kind: apply.KindPass, Result: apply.PassBlocked, Generation: 1,
			Reasons: []string{"start"}, Duration: 4 * time.Millisecond})},
		{"pass-invalid", event(apply.WatchEvent{Kind: apply.KindPass, Result: apply.PassInvalid, Reasons: []string{"start"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, form := range []struct {
				ext     string
				json    bool
				verbose bool
			}{{".json", true, false}, {".txt", false, false}, {".verbose.txt", false, true}} {
				if form.verbose && tt.name != "pass-noop" {
					continue // -v changes only the text of a pass without changes
				}
				var out bytes.Buffer
				v := views.NewWatch(&out, views.WatchOptions{Dir: "/etc/roost", JSON: form.json, Verbose: form.verbose,
					Now: func() time.Time { return at }})
				tt.do(v)
				golden(t, filepath.Join("testdata", "watch", tt.name+form.ext), out.Bytes())
			}
		})
	}
}
