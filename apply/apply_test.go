package apply_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/plan"
)

func unikernel(name string, nets []string, blocks []string, deps ...string) plan.Unikernel {
	u := plan.Unikernel{
		Name:        name,
		Image:       plan.Image{Path: "/etc/roost/" + name + ".hvt", SHA256: strings.Repeat(name[:1], 64), Target: "hvt", ABIVersion: 2},
		MemoryMiB:   32,
		Restart:     plan.Restart{Policy: plan.RestartOnFailure, Backoff: plan.DefaultBackoff, MaxBackoff: plan.DefaultMaxBackoff},
		StopTimeout: plan.DefaultStopTimeout,
		DependsOn:   deps,
	}
	for _, n := range nets {
		u.Nets = append(u.Nets, plan.Net{Device: n, Bridge: "br0", MAC: "02:00:00:00:00:0" + name[:1]})
	}
	for _, b := range blocks {
		u.Blocks = append(u.Blocks, plan.BlockAttachment{Device: "storage", Block: b, SectorSize: 512})
	}
	return u
}

func makePlan(t *testing.T, h *fakeHost, d *plan.Desired, mod func(*plan.Input)) *plan.Plan {
	t.Helper()
	o, err := h.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	in := plan.Input{Desired: d, Observed: o}
	if mod != nil {
		mod(&in)
	}
	p := plan.Make(in)
	if len(p.Problems) > 0 {
		t.Fatalf("plan problems: %v", p.Problems)
	}
	return p
}

// before reports whether line a comes before line b in the transcript.
func before(lines []string, a, b string) bool {
	i, j := slices.Index(lines, a), slices.Index(lines, b)
	return i >= 0 && j >= 0 && i < j
}

func TestRunOrder(t *testing.T) {
	h := newFakeHost()
	d := &plan.Desired{
		Bridges:    []plan.Bridge{{Name: "br0", Addresses: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}}},
		Blocks:     []plan.Block{{Name: "data", SizeMiB: 4}},
		Unikernels: []plan.Unikernel{unikernel("app", []string{"service"}, nil, "db"), unikernel("db", nil, []string{"data"})},
	}
	p := makePlan(t, h, d, nil)
	res, err := apply.Run(context.Background(), h, p, apply.Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, h)
	}
	lines := h.lines()
	for _, order := range [][2]string{
		{"create bridge br0", "ensure tap " + plan.TapName("app", "service") + " app:service on br0"},
		{"create block data 4 MiB", "start db"},
		{"start db", "start app"},
	} {
		if !before(lines, order[0], order[1]) {
			t.Errorf("%q did not come before %q in:\n%s", order[0], order[1], h)
		}
	}
	if diff := cmp.Diff([]string{"block.data", "bridge.br0", "unikernel.app", "unikernel.db"}, res.Done); diff != "" {
		t.Errorf("done mismatch (-want +got):\n%s", diff)
	}

	// Idempotence: the host now matches, so the next plan is empty.
	if p2 := makePlan(t, h, d, nil); !p2.Empty() {
		t.Errorf("second plan has changes: %+v", p2.Changes)
	}

	// Destroy stops app before db (reverse of depends_on), and stops both
	// before their bridge goes; the block is retained.
	h.log = nil
	p3 := makePlan(t, h, d, func(in *plan.Input) { in.Destroy = true })
	if _, err := apply.Run(context.Background(), h, p3, apply.Options{}); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	lines = h.lines()
	for _, order := range [][2]string{
		{"stop app", "stop db"},
		{"delete tap " + plan.TapName("app", "service"), "delete bridge br0"},
	} {
		if !before(lines, order[0], order[1]) {
			t.Errorf("%q did not come before %q in:\n%s", order[0], order[1], h)
		}
	}
	if slices.Contains(lines, "delete block data") {
		t.Errorf("destroy without -allow-data-loss deleted a block:\n%s", h)
	}
}

func TestRunFailureSkipsDependents(t *testing.T) {
	h := newFakeHost()
	h.failOn["start db"] = errBoom
	d := &plan.Desired{Unikernels: []plan.Unikernel{
		unikernel("app", nil, nil, "db"),
		unikernel("db", nil, nil),
		unikernel("solo", nil, nil),
	}}
	p := makePlan(t, h, d, nil)
	res, err := apply.Run(context.Background(), h, p, apply.Options{})
	if !errors.Is(err, errBoom) || !errors.Is(err, apply.ErrSkipped) {
		t.Fatalf("Run error = %v, want boom and skipped", err)
	}
	want := apply.Result{Done: []string{"unikernel.solo"}, Failed: []string{"unikernel.db"}, Skipped: []string{"unikernel.app"}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result mismatch (-want +got):\n%s", diff)
	}
	if slices.Contains(h.lines(), "start app") {
		t.Errorf("app was started although db failed:\n%s", h)
	}
	// Only what failed is planned again.
	p2 := makePlan(t, h, d, nil)
	var again []string
	for _, c := range p2.Changes {
		again = append(again, c.Address())
	}
	if diff := cmp.Diff([]string{"unikernel.app", "unikernel.db"}, again); diff != "" {
		t.Errorf("replan mismatch (-want +got):\n%s", diff)
	}
}

func TestRunParallelism(t *testing.T) {
	for _, n := range []int{1, 3} {
		h := newFakeHost()
		h.delay = 5 * time.Millisecond
		var us []plan.Unikernel
		for _, name := range []string{"a1", "b1", "c1", "d1", "e1", "f1", "g1", "h1"} {
			us = append(us, unikernel(name, nil, nil))
		}
		p := makePlan(t, h, &plan.Desired{Unikernels: us}, nil)
		if _, err := apply.Run(context.Background(), h, p, apply.Options{Parallelism: n}); err != nil {
			t.Fatal(err)
		}
		if h.maxInFly != n {
			t.Errorf("parallelism %d: %d operations ran at once", n, h.maxInFly)
		}
	}
}

func TestRunReplaceAndUpdate(t *testing.T) {
	h := newFakeHost()
	web := unikernel("web", []string{"admin", "service"}, nil)
	d := &plan.Desired{Bridges: []plan.Bridge{{Name: "br0"}}, Unikernels: []plan.Unikernel{web}}
	if _, err := apply.Run(context.Background(), h, makePlan(t, h, d, nil), apply.Options{}); err != nil {
		t.Fatal(err)
	}

	// A restart policy change updates in place: no stop, no start.
	h.log = nil
	d.Unikernels[0].Restart.Policy = plan.RestartAlways
	if _, err := apply.Run(context.Background(), h, makePlan(t, h, d, nil), apply.Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ensure tap " + plan.TapName("web", "admin") + " web:admin on br0",
		"ensure tap " + plan.TapName("web", "service") + " web:service on br0",
		"update web",
	}
	if diff := cmp.Diff(want, h.lines()); diff != "" {
		t.Errorf("update transcript mismatch (-want +got):\n%s", diff)
	}

	// Dropping a net device replaces: stop, delete the dropped tap, start;
	// the old image is pruned once nothing refers to it.
	h.log = nil
	d.Unikernels[0] = unikernel("web", []string{"service"}, nil)
	d.Unikernels[0].Image.SHA256 = strings.Repeat("f", 64)
	if _, err := apply.Run(context.Background(), h, makePlan(t, h, d, nil), apply.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := apply.PruneImages(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"stop web",
		"delete tap " + plan.TapName("web", "admin"),
		"ensure tap " + plan.TapName("web", "service") + " web:service on br0",
		"start web",
		"verify web",
		"prune image wwwwwwww",
	}
	if diff := cmp.Diff(want, h.lines()); diff != "" {
		t.Errorf("replace transcript mismatch (-want +got):\n%s", diff)
	}
}

// TestRunResizeUnderReplace: a block grows while the unikernel using it is
// replaced. The replacement's stop, the resize and its start must go in
// that order (before replacements were split in two, they waited for each
// other forever).
func TestRunResizeUnderReplace(t *testing.T) {
	h := newFakeHost()
	db := unikernel("db", nil, []string{"data"})
	db.Blocks[0].SizeMiB = 4
	d := &plan.Desired{Blocks: []plan.Block{{Name: "data", SizeMiB: 4}}, Unikernels: []plan.Unikernel{db}}
	if _, err := apply.Run(context.Background(), h, makePlan(t, h, d, nil), apply.Options{}); err != nil {
		t.Fatal(err)
	}
	h.log = nil
	d.Blocks[0].SizeMiB = 8
	d.Unikernels[0].Blocks[0].SizeMiB = 8
	d.Unikernels[0].MemoryMiB = 64
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := apply.Run(ctx, h, makePlan(t, h, d, nil), apply.Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, h)
	}
	want := []string{"stop db", "resize block data 8 MiB", "start db", "verify db"}
	if diff := cmp.Diff(want, h.lines()); diff != "" {
		t.Errorf("transcript mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"block.data", "unikernel.db"}, res.Done); diff != "" {
		t.Errorf("done mismatch (-want +got):\n%s", diff)
	}
}

// TestRunReplaceStopFails: a replacement whose stop fails is reported once,
// as failed, with the stop's error; its start does not run.
func TestRunReplaceStopFails(t *testing.T) {
	h := newFakeHost()
	d := &plan.Desired{Unikernels: []plan.Unikernel{unikernel("web", nil, nil)}}
	if _, err := apply.Run(context.Background(), h, makePlan(t, h, d, nil), apply.Options{}); err != nil {
		t.Fatal(err)
	}
	h.log = nil
	h.failOn["stop web"] = errBoom
	d.Unikernels[0].MemoryMiB = 64
	res, err := apply.Run(context.Background(), h, makePlan(t, h, d, nil), apply.Options{})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Run = %v, want boom", err)
	}
	if diff := cmp.Diff(apply.Result{Failed: []string{"unikernel.web"}}, res); diff != "" {
		t.Errorf("result mismatch (-want +got):\n%s", diff)
	}
	if slices.Contains(h.lines(), "start web") {
		t.Errorf("web started although its stop failed:\n%s", h)
	}
}
