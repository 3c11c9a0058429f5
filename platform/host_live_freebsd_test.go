//go:build integration

package platform_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
)

// FreeBSD has no network namespaces, so these tests make their bridges
// and taps on the host itself, named rtest<pid>x<n> (bridges) and by the
// kernel (taps), and destroy them when they end. The Linux ones
// (host_live_test.go) run in namespaces of their own instead.

var liveCounter atomic.Int32

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates bridges and taps on this FreeBSD host")
	}
}

func liveBridgeName() string {
	return fmt.Sprintf("rtest%dx%d", os.Getpid()%100000, liveCounter.Add(1))
}

func TestBridgeLiveFreeBSD(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	h := newHost(t, platform.Options{})
	b := plan.Bridge{Name: liveBridgeName(), Addresses: prefixes4("192.0.2.1/24"), MTU: 1400}
	t.Cleanup(func() { h.DeleteBridge(context.Background(), b.Name) })
	for i := range 2 {
		if err := h.CreateBridge(ctx, b); err != nil {
			t.Fatalf("CreateBridge #%d = %v", i+1, err)
		}
	}
	o, err := h.Observe(ctx)
	if err != nil {
		t.Fatalf("Observe = %v", err)
	}
	got := o.Bridges[b.Name]
	if !got.Owned || !got.Up || got.MTU != 1400 || len(got.Addresses) != 1 || got.Addresses[0] != b.Addresses[0] {
		t.Errorf("observed bridge = %+v, want owned, up, mtu 1400, %v", got, b.Addresses)
	}
	for i := range 2 {
		if err := h.DeleteBridge(ctx, b.Name); err != nil {
			t.Fatalf("DeleteBridge #%d = %v", i+1, err)
		}
	}
}

func TestTapLiveFreeBSD(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	h := newHost(t, platform.Options{})
	b := plan.Bridge{Name: liveBridgeName()}
	if err := h.CreateBridge(ctx, b); err != nil {
		t.Fatalf("CreateBridge = %v", err)
	}
	t.Cleanup(func() { h.DeleteBridge(context.Background(), b.Name) })
	unikernel := "livetest" + fmt.Sprint(liveCounter.Add(1))
	n := plan.SpecNet{Device: "service", Bridge: b.Name, Tap: plan.TapName(unikernel, "service")}
	t.Cleanup(func() { h.DeleteTap(context.Background(), n.Tap) })
	for i := range 2 {
		if err := h.EnsureTap(ctx, unikernel, n); err != nil {
			t.Fatalf("EnsureTap #%d = %v", i+1, err)
		}
	}
	o, err := h.Observe(ctx)
	if err != nil {
		t.Fatalf("Observe = %v", err)
	}
	want := plan.ObservedTap{Name: n.Tap, Unikernel: unikernel, Device: "service", Master: b.Name, Up: true}
	if got := o.Taps[n.Tap]; got != want {
		t.Errorf("observed tap = %+v, want %+v", got, want)
	}
	for i := range 2 {
		if err := h.DeleteTap(ctx, n.Tap); err != nil {
			t.Fatalf("DeleteTap #%d = %v", i+1, err)
		}
	}
	if o, err = h.Observe(ctx); err != nil {
		t.Fatalf("Observe = %v", err)
	}
	if got, ok := o.Taps[n.Tap]; ok {
		t.Errorf("after DeleteTap, tap %+v is still there", got)
	}
}

func prefixes4(s ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, p := range s {
		ps = append(ps, netip.MustParsePrefix(p))
	}
	return ps
}
