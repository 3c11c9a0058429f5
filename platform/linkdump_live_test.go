//go:build integration && linux

package platform

import (
	"context"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/plan"
	"github.com/vishvananda/netlink"
)

// TestDumpLinksAgreesWithLinkList fills a namespace with every kind of
// interface a plan tells apart (a bridge, roost taps on it, a tun, a veth
// pair, a veth with a tap's name, interfaces up and down, aliases, an
// MTU) and checks that the lean dump reads each as netlink.LinkList does.
func TestDumpLinksAgreesWithLinkList(t *testing.T) {
	ns, h := nsBridgeHost(t)
	ctx := context.Background()
	for _, dev := range []string{"net0", "net1"} {
		n := plan.SpecNet{Device: dev, Bridge: "rbr0", Tap: plan.TapName("web", dev)}
		if err := h.ensureTap(ctx, "web", n, testOwner); err != nil {
			t.Fatal(err)
		}
	}
	add := func(l netlink.Link) {
		t.Helper()
		if err := h.handle.LinkAdd(l); err != nil {
			t.Fatalf("add %s: %v", l.Attrs().Name, err)
		}
	}
	// A tun or tap is made with an ioctl, which acts in the calling
	// thread's namespace: on a thread in the test's.
	addTun := func(l *netlink.Tuntap) {
		t.Helper()
		if err := ns.Do(func() error { return netlink.LinkAdd(l) }); err != nil {
			t.Fatalf("add %s: %v", l.Name, err)
		}
	}
	addTun(&netlink.Tuntap{LinkAttrs: netlink.LinkAttrs{Name: "rtun0"}, Mode: netlink.TUNTAP_MODE_TUN, Flags: netlink.TUNTAP_DEFAULTS})
	add(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "rveth0", MTU: 9000}, PeerName: "rveth1"})
	add(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: plan.TapName("ghost", "net0")}, PeerName: "rveth2"})
	addTun(&netlink.Tuntap{LinkAttrs: netlink.LinkAttrs{Name: "rtapx"}, Mode: netlink.TUNTAP_MODE_TAP, Flags: netlink.TUNTAP_DEFAULTS})
	for name, alias := range map[string]string{"rveth0": "someone's veth", "rtapx": "roost:not:quite:right"} {
		l, err := h.handle.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.handle.LinkSetAlias(l, alias); err != nil {
			t.Fatal(err)
		}
		if err := h.handle.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}

	got, err := dumpLinks(h.taps.sock)
	if err != nil {
		t.Fatalf("dumpLinks = %v", err)
	}
	full, err := h.handle.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	want := make([]link, 0, len(full))
	for _, l := range full {
		a := l.Attrs()
		w := link{index: a.Index, master: a.MasterIndex, mtu: a.MTU, up: a.Flags&net.FlagUp != 0, name: a.Name, alias: a.Alias}
		if isBridge(l) {
			w.kind = "bridge"
		}
		if tt, ok := l.(*netlink.Tuntap); ok {
			w.kind, w.tunType = "tun", uint8(tt.Mode)
		}
		want = append(want, w)
	}
	// What LinkList says of kinds is its types; compare those apart.
	cmpLinks := cmp.Comparer(func(a, b link) bool {
		ka, kb := a.kind, b.kind
		if ka != "bridge" && ka != "tun" {
			ka = ""
		}
		if kb != "bridge" && kb != "tun" {
			kb = ""
		}
		a.kind, b.kind = ka, kb
		return a == b
	})
	if diff := cmp.Diff(want, got, cmpLinks); diff != "" {
		t.Errorf("dumpLinks disagrees with netlink.LinkList (-LinkList +dumpLinks):\n%s", diff)
	}
	for i, l := range got {
		if tn := full[i].Type(); l.typeName() != tn {
			t.Errorf("%s: typeName = %q, netlink says %q", l.name, l.typeName(), tn)
		}
	}
	taps := 0
	for _, l := range got {
		if l.isTap() {
			taps++
		}
	}
	if taps != 3 {
		t.Errorf("dumpLinks found %d taps, want 3 (two of roost's and rtapx)", taps)
	}
}
