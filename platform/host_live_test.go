//go:build integration && linux

package platform_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/internal/netnstest"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/datadir"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The tests here change bridges and taps, each in a network namespace of
// its own (netnstest skips them without root).

// nsHost returns a fresh namespace and a Host managing it.
func nsHost(t *testing.T) (*netnstest.NS, *platform.Host) {
	t.Helper()
	ns := netnstest.New(t)
	h := newHost(t, platform.Options{NetNS: ns.Path()})
	return ns, h
}

func observe(t *testing.T, h *platform.Host) *plan.Observed {
	t.Helper()
	o, err := h.Observe(context.Background())
	if err != nil {
		t.Fatalf("Observe = %v", err)
	}
	for name, b := range o.Bridges {
		slices.SortFunc(b.Addresses, func(a, b netip.Prefix) int { return strings.Compare(a.String(), b.String()) })
		o.Bridges[name] = b
	}
	return o
}

// prefixEqual compares netip.Prefix values, whose fields cmp cannot see.
var prefixEqual = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

func prefixes(s ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, p := range s {
		ps = append(ps, netip.MustParsePrefix(p))
	}
	return ps
}

func TestBridgeLive(t *testing.T) {
	ctx := context.Background()
	ns, h := nsHost(t)
	b := plan.Bridge{Name: "rbr1", Addresses: prefixes("192.0.2.1/24", "2001:db8::1/64"), MTU: 1400}
	want := plan.ObservedBridge{Name: "rbr1", Owned: true, Addresses: prefixes("192.0.2.1/24", "2001:db8::1/64"), MTU: 1400, Up: true}
	for i := range 2 {
		if err := h.CreateBridge(ctx, b); err != nil {
			t.Fatalf("CreateBridge #%d = %v", i+1, err)
		}
		if diff := cmp.Diff(want, observe(t, h).Bridges["rbr1"], prefixEqual); diff != "" {
			t.Errorf("after CreateBridge #%d, bridge mismatch (-want +got):\n%s", i+1, diff)
		}
	}

	// An address someone added goes: roost owns this bridge.
	err := ns.Do(func() error {
		l, err := netlink.LinkByName("rbr1")
		if err != nil {
			return err
		}
		return netlink.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(198, 51, 100, 1), Mask: net.CIDRMask(24, 32)}})
	})
	if err != nil {
		t.Fatal(err)
	}
	b = plan.Bridge{Name: "rbr1", Addresses: prefixes("192.0.2.2/24"), MTU: 1300}
	if err := h.UpdateBridge(ctx, b); err != nil {
		t.Fatalf("UpdateBridge = %v", err)
	}
	want = plan.ObservedBridge{Name: "rbr1", Owned: true, Addresses: prefixes("192.0.2.2/24"), MTU: 1300, Up: true}
	if diff := cmp.Diff(want, observe(t, h).Bridges["rbr1"], prefixEqual); diff != "" {
		t.Errorf("after UpdateBridge, bridge mismatch (-want +got):\n%s", diff)
	}

	// A wanted secondary address survives the removal of its primary.
	for _, addrs := range [][]netip.Prefix{prefixes("192.0.2.2/24", "192.0.2.3/24"), prefixes("192.0.2.3/24")} {
		if err := h.UpdateBridge(ctx, plan.Bridge{Name: "rbr1", Addresses: addrs}); err != nil {
			t.Fatalf("UpdateBridge(%v) = %v", addrs, err)
		}
		want = plan.ObservedBridge{Name: "rbr1", Owned: true, Addresses: addrs, MTU: 1300, Up: true}
		if diff := cmp.Diff(want, observe(t, h).Bridges["rbr1"], prefixEqual); diff != "" {
			t.Errorf("after UpdateBridge(%v), bridge mismatch (-want +got):\n%s", addrs, diff)
		}
	}

	for i := range 2 {
		if err := h.DeleteBridge(ctx, "rbr1"); err != nil {
			t.Fatalf("DeleteBridge #%d = %v", i+1, err)
		}
	}
	if got, ok := observe(t, h).Bridges["rbr1"]; ok {
		t.Errorf("after DeleteBridge, Observe still has %+v", got)
	}
}

func TestForeignBridgeLive(t *testing.T) {
	ctx := context.Background()
	ns, h := nsHost(t)
	err := ns.Do(func() error {
		attrs := netlink.NewLinkAttrs()
		attrs.Name = "fbr0"
		attrs.MTU = 1450
		br := &netlink.Bridge{LinkAttrs: attrs}
		if err := netlink.LinkAdd(br); err != nil {
			return err
		}
		if err := netlink.AddrAdd(br, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(192, 0, 2, 9), Mask: net.CIDRMask(24, 32)}}); err != nil {
			return err
		}
		tun := &netlink.Tuntap{LinkAttrs: netlink.NewLinkAttrs(), Mode: netlink.TUNTAP_MODE_TUN, Flags: netlink.TUNTAP_NO_PI}
		tun.Name = "tun0"
		return netlink.LinkAdd(tun)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := plan.ObservedBridge{Name: "fbr0", Addresses: prefixes("192.0.2.9/24"), MTU: 1450}
	if diff := cmp.Diff(want, observe(t, h).Bridges["fbr0"], prefixEqual); diff != "" {
		t.Errorf("foreign bridge mismatch (-want +got):\n%s", diff)
	}

	b := plan.Bridge{Name: "fbr0", Addresses: prefixes("192.0.2.1/24"), MTU: 1300}
	if err := h.CreateBridge(ctx, b); err != nil {
		t.Errorf("CreateBridge(existing foreign bridge) = %v, want it used as it is", err)
	}
	if err := h.UpdateBridge(ctx, b); !errors.Is(err, platform.ErrNotOwned) {
		t.Errorf("UpdateBridge(foreign) = %v, want ErrNotOwned", err)
	}
	if err := h.DeleteBridge(ctx, "fbr0"); !errors.Is(err, platform.ErrNotOwned) {
		t.Errorf("DeleteBridge(foreign) = %v, want ErrNotOwned", err)
	}
	if diff := cmp.Diff(want, observe(t, h).Bridges["fbr0"], prefixEqual); diff != "" {
		t.Errorf("foreign bridge changed (-want +got):\n%s", diff)
	}

	if err := h.CreateBridge(ctx, plan.Bridge{Name: "tun0"}); err == nil || !strings.Contains(err.Error(), "not a bridge") {
		t.Errorf("CreateBridge(tun0) = %v, want a not-a-bridge error", err)
	}
	if err := h.DeleteBridge(ctx, "tun0"); err == nil {
		t.Errorf("DeleteBridge(tun0) succeeded")
	}
	if _, ok := observe(t, h).Bridges["tun0"]; ok {
		t.Errorf("Observe lists tun0 as a bridge")
	}
}

func TestTapLive(t *testing.T) {
	ctx := context.Background()
	ns, h := nsHost(t)
	if err := h.CreateBridge(ctx, plan.Bridge{Name: "rbr0", MTU: 1400}); err != nil {
		t.Fatalf("CreateBridge = %v", err)
	}
	n := plan.SpecNet{Device: "service", Bridge: "rbr0", Tap: plan.TapName("web", "service")}
	for i := range 2 {
		if err := h.EnsureTap(ctx, "web", n); err != nil {
			t.Fatalf("EnsureTap #%d = %v", i+1, err)
		}
	}
	want := plan.ObservedTap{Name: n.Tap, Unikernel: "web", Device: "service", Master: "rbr0", Up: true}
	if diff := cmp.Diff(want, observe(t, h).Taps[n.Tap], prefixEqual); diff != "" {
		t.Errorf("tap mismatch (-want +got):\n%s", diff)
	}
	if fds := tunFDs(t); len(fds) != 0 {
		t.Errorf("after EnsureTap the process holds /dev/net/tun as %v, want no descriptor", fds)
	}

	var alias string
	var mtu int
	var persistent, gso, gro, tso bool
	err := ns.Do(func() error {
		l, err := netlink.LinkByName(n.Tap)
		if err != nil {
			return err
		}
		alias, mtu = l.Attrs().Alias, l.Attrs().MTU
		if tt, ok := l.(*netlink.Tuntap); ok {
			persistent = !tt.NonPersist
		}
		if gso, err = ethtoolGet(n.Tap, unix.ETHTOOL_GGSO); err != nil {
			return err
		}
		if gro, err = ethtoolGet(n.Tap, unix.ETHTOOL_GGRO); err != nil {
			return err
		}
		// TSO is one of the features TUNSETOFFLOAD sets; a new tap
		// starts with them off.
		tso, err = ethtoolGet(n.Tap, unix.ETHTOOL_GTSO)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wantAlias := "roost:web:service:" + h.DBDir().ID()
	if h.DBDir().ID() == "" || alias != wantAlias || mtu != 1400 || !persistent || gso || gro || tso {
		t.Errorf("tap alias %q, mtu %d, persistent %v, gso %v, gro %v, tso %v; want %s, 1400, persistent, offloads off",
			alias, mtu, persistent, gso, gro, tso, wantAlias)
	}

	// A tender attaches as Solo5's tap_attach does, and EnsureTap
	// leaves the attached tap alone.
	var tender int
	err = ns.Do(func() error {
		var err error
		tender, err = tenderAttach(n.Tap)
		return err
	})
	if err != nil {
		t.Fatalf("tender attach to %s = %v", n.Tap, err)
	}
	if err := h.EnsureTap(ctx, "web", n); err != nil {
		t.Errorf("EnsureTap with a tender attached = %v", err)
	}
	if _, err := h.TapStats(n.Tap); err != nil {
		t.Errorf("TapStats = %v", err)
	}
	unix.Close(tender)
	if _, ok := observe(t, h).Taps[n.Tap]; !ok {
		t.Errorf("tap gone after the tender closed it; want it persistent")
	}

	for i := range 2 {
		if err := h.DeleteTap(ctx, n.Tap); err != nil {
			t.Fatalf("DeleteTap #%d = %v", i+1, err)
		}
	}
	if _, ok := observe(t, h).Taps[n.Tap]; ok {
		t.Errorf("tap still observed after DeleteTap")
	}
}

func TestTapFixLive(t *testing.T) {
	ctx := context.Background()
	ns, h := nsHost(t)
	if err := h.CreateBridge(ctx, plan.Bridge{Name: "rbr0"}); err != nil {
		t.Fatalf("CreateBridge = %v", err)
	}
	// A tap roost made but did not get to name, enslave or set up, and a
	// tap somebody else made.
	bare := plan.TapName("web", "service")
	err := ns.Do(func() error {
		for name, alias := range map[string]string{bare: "", "other0": "someone's"} {
			tap := &netlink.Tuntap{LinkAttrs: netlink.NewLinkAttrs(), Mode: netlink.TUNTAP_MODE_TAP, Flags: netlink.TUNTAP_NO_PI}
			tap.Name = name
			if err := netlink.LinkAdd(tap); err != nil {
				return err
			}
			if alias != "" {
				if err := netlink.LinkSetAlias(tap, alias); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := observe(t, h).Taps[bare]; ok {
		t.Errorf("Observe lists a tap without alias")
	}
	// A tap without roost's alias is someone else's, even with the name
	// roost would give it: roost makes every tap with its alias before it
	// outlives roost (hardening finding 4), so it never takes one over.
	n := plan.SpecNet{Device: "service", Bridge: "rbr0", Tap: bare}
	if err := h.EnsureTap(ctx, "web", n); !errors.Is(err, platform.ErrNotOwned) {
		t.Fatalf("EnsureTap(unnamed tap) = %v, want ErrNotOwned", err)
	}
	o := observe(t, h)
	if _, ok := o.Taps[bare]; ok {
		t.Errorf("Observe lists the unnamed tap as roost's")
	}
	if what := o.Foreign[bare]; what != `a tap with alias "", not roost's` {
		t.Errorf("Observe says the unnamed tap is %q, want a foreign tap", what)
	}
	// Offloads are the kernel's default (on) on a tap roost did not make:
	// the check in TestTapLive that roost turned them off means something.
	var gso bool
	err = ns.Do(func() error {
		var err error
		gso, err = ethtoolGet("other0", unix.ETHTOOL_GGSO)
		return err
	})
	if err != nil || !gso {
		t.Errorf("gso of a tap made without roost = %v, %v; want on", gso, err)
	}

	if err := h.EnsureTap(ctx, "web", plan.SpecNet{Device: "x", Bridge: "rbr0", Tap: "other0"}); !errors.Is(err, platform.ErrNotOwned) {
		t.Errorf("EnsureTap(foreign tap) = %v, want ErrNotOwned", err)
	}
	if err := h.DeleteTap(ctx, "other0"); !errors.Is(err, platform.ErrNotOwned) {
		t.Errorf("DeleteTap(foreign tap) = %v, want ErrNotOwned", err)
	}
	if err := h.DeleteTap(ctx, "rbr0"); err == nil {
		t.Errorf("DeleteTap(bridge) succeeded")
	}
	err = h.EnsureTap(ctx, "web", plan.SpecNet{Device: "other", Bridge: "nobr", Tap: plan.TapName("web", "other")})
	if !errors.Is(err, platform.ErrNoInterface) || !strings.HasPrefix(err.Error(), "create tap "+plan.TapName("web", "other")+" for web: ") {
		t.Errorf("EnsureTap(missing bridge) = %v, want ErrNoInterface, \"create tap ... for web: \"", err)
	}
	err = ns.Do(func() error {
		_, err := netlink.LinkByName("other0")
		return err
	})
	if err != nil {
		t.Errorf("foreign tap: %v, want it kept", err)
	}
}

func TestObserveLive(t *testing.T) {
	ctx := context.Background()
	ns := netnstest.New(t)
	dbdir := datadir.Dir(filepath.Join(t.TempDir(), "missing"))
	h := newHost(t, platform.Options{NetNS: ns.Path(), DBDir: dbdir})

	o := observe(t, h)
	if len(o.Bridges)+len(o.Taps)+len(o.Blocks)+len(o.Images)+len(o.Unikernels) != 0 {
		t.Errorf("Observe of a new namespace and a missing dbdir = %+v, want it empty", o)
	}
	if o.Blocks == nil || o.Unikernels == nil || o.Images == nil || o.Tenders == nil || o.Bridges == nil || o.Taps == nil {
		t.Errorf("Observe returned nil maps: %+v", o)
	}
	if _, err := os.Lstat(string(dbdir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Observe created the data directory: %v", err)
	}
	if o.Host.DiskFreeBytes <= 0 || o.Host.MemoryMiB <= 0 || len(o.Host.CPUs) == 0 || o.BootID == "" {
		t.Errorf("Observe of a missing dbdir: boot id %q, host %+v; want free space of its parent, memory, cpus", o.BootID, o.Host)
	}

	// An orphan: a roost tap whose unikernel has no directory.
	if err := h.CreateBridge(ctx, plan.Bridge{Name: "rbr0"}); err != nil {
		t.Fatalf("CreateBridge = %v", err)
	}
	n := plan.SpecNet{Device: "net0", Bridge: "rbr0", Tap: plan.TapName("ghost", "net0")}
	if err := h.EnsureTap(ctx, "ghost", n); err != nil {
		t.Fatalf("EnsureTap = %v", err)
	}
	if err := h.CreateBlock(ctx, plan.Block{Name: "data", SizeMiB: 1}); err != nil {
		t.Fatalf("CreateBlock = %v", err)
	}
	o = observe(t, h)
	want := &plan.Observed{
		BootID:     o.BootID,
		Host:       o.Host,
		Bridges:    map[string]plan.ObservedBridge{"rbr0": {Name: "rbr0", Owned: true, MTU: 1500, Up: true}},
		Taps:       map[string]plan.ObservedTap{n.Tap: {Name: n.Tap, Unikernel: "ghost", Device: "net0", Master: "rbr0", Up: true}},
		Blocks:     map[string]plan.ObservedBlock{"data": {Name: "data", SizeBytes: 1 << 20}},
		Unikernels: map[string]plan.ObservedUnikernel{},
		Images:     map[string]bool{},
		Tenders:    map[string]plan.TenderLookup{},
		Foreign:    map[string]string{},
	}
	if diff := cmp.Diff(want, o, prefixEqual); diff != "" {
		t.Errorf("Observe mismatch (-want +got):\n%s", diff)
	}
}

// tenderAttach attaches to the tap name as Solo5's tap_attach does on
// Linux, in the calling thread's namespace.
func tenderAttach(name string) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if ifr.Name() != name {
		unix.Close(fd)
		return -1, errors.New("attached to " + ifr.Name())
	}
	return fd, nil
}

// ethtoolGet reads a boolean ethtool setting (ETHTOOL_GGSO, ...) of name.
func ethtoolGet(name string, cmd uint32) (bool, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(s)
	v := &struct{ cmd, data uint32 }{cmd: cmd}
	ifr := &struct {
		name [unix.IFNAMSIZ]byte
		data unsafe.Pointer
		_    [16]byte
	}{data: unsafe.Pointer(v)}
	copy(ifr.name[:], name)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(s), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(ifr))); errno != 0 {
		return false, errno
	}
	return v.data != 0, nil
}

// tunFDs lists the descriptors of this process open on /dev/net/tun.
func tunFDs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var fds []string
	for _, e := range ents {
		if target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); target == "/dev/net/tun" {
			fds = append(fds, e.Name())
		}
	}
	return fds
}
