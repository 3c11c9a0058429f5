//go:build integration && linux

package platform

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/roostd/roost/internal/netnstest"
	"github.com/roostd/roost/plan"
	"github.com/vishvananda/netlink"
)

// testOwner is the data directory ID the tests that call an osHost
// directly give their links.
const testOwner = "5e5e5e5e5e"

func batchHost(t *testing.T) *nlHost {
	t.Helper()
	_, h := nsBridgeHost(t)
	return h
}

// nsBridgeHost returns a fresh namespace and an nlHost managing it, with
// a bridge rbr0 made by the host.
func nsBridgeHost(t *testing.T) (*netnstest.NS, *nlHost) {
	t.Helper()
	ns := netnstest.New(t)
	o, err := newOSHost(ns.Path(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.close() })
	h := o.(*nlHost)
	if err := h.createBridge(context.Background(), plan.Bridge{Name: "rbr0"}, testOwner); err != nil {
		t.Fatal(err)
	}
	return ns, h
}

// TestTapBatchDeletesTogether deletes taps concurrently, as a destroy
// does, and checks that all go and nothing else does.
func TestTapBatchDeletesTogether(t *testing.T) {
	h := batchHost(t)
	ctx := context.Background()
	var names []string
	for i := range 12 {
		n := plan.SpecNet{Device: fmt.Sprintf("net%d", i), Bridge: "rbr0", Tap: plan.TapName("web", fmt.Sprintf("net%d", i))}
		if err := h.ensureTap(ctx, "web", n, testOwner); err != nil {
			t.Fatal(err)
		}
		names = append(names, n.Tap)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, name := range names {
		wg.Go(func() { errs[i] = h.deleteTap(ctx, name, testOwner) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("deleteTap(%s) = %v", names[i], err)
		}
	}
	for _, name := range names {
		if _, err := h.handle.LinkByName(name); err == nil {
			t.Errorf("tap %s still exists", name)
		}
	}
	if _, err := h.handle.LinkByName("rbr0"); err != nil {
		t.Errorf("the bridge went with the taps: %v", err)
	}
	h.taps.mu.Lock()
	groups, single := h.taps.groups, h.taps.single
	h.taps.mu.Unlock()
	if single != 0 || groups == 0 || groups >= len(names) {
		t.Errorf("%d taps deleted in %d group deletions and %d one by one; want them batched", len(names), groups, single)
	}
}

// TestTapBatchLeavesForeignMembers puts another interface into the
// batch's netdev group before it is deleted: the batch must then delete
// its taps one by one and leave the other interface alone.
func TestTapBatchLeavesForeignMembers(t *testing.T) {
	h := batchHost(t)
	ctx := context.Background()
	n := plan.SpecNet{Device: "service", Bridge: "rbr0", Tap: plan.TapName("web", "service")}
	if err := h.ensureTap(ctx, "web", n, testOwner); err != nil {
		t.Fatal(err)
	}
	foreign := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "foreign0"}}
	if err := h.handle.LinkAdd(foreign); err != nil {
		t.Fatal(err)
	}
	h.taps.mu.Lock()
	group := h.taps.group
	h.taps.mu.Unlock()
	f, err := h.handle.LinkByName("foreign0")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.handle.LinkSetGroup(f, int(group)); err != nil {
		t.Fatal(err)
	}
	if err := h.deleteTap(ctx, n.Tap, testOwner); err != nil {
		t.Fatalf("deleteTap = %v", err)
	}
	if _, err := h.handle.LinkByName(n.Tap); err == nil {
		t.Errorf("tap %s still exists", n.Tap)
	}
	if _, err := h.handle.LinkByName("foreign0"); err != nil {
		t.Errorf("the foreign interface in the batch's group was deleted: %v", err)
	}
	if h.taps.single != 1 {
		t.Errorf("%d taps deleted one by one, want 1", h.taps.single)
	}
}
