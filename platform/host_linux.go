package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"runtime"
	"strings"

	"github.com/roostd/roost/plan"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// tapNamePattern is the name roost gives its taps on Linux
// (plan.TapName).
var tapNamePattern = regexp.MustCompile(`^rt[0-9a-f]{10}$`)

// nlHost manages bridges and taps over rtnetlink (vishvananda/netlink),
// in the namespace roost runs in or in the one Options.NetNS names.
//
// Netlink requests go through handle, whose sockets were opened inside
// that namespace and so act there from any thread. Taps are made with
// ioctls on /dev/net/tun, and offloads set with ioctls on a socket; both
// act in the namespace of the calling thread, so they go through inNS.
type nlHost struct {
	handle *netlink.Handle
	nsFD   int // the namespace of Options.NetNS, or -1 for roost's own
	log    *slog.Logger
	taps   *tapBatch // deletes taps in batches
}

func newOSHost(nsPath string, log *slog.Logger) (osHost, error) {
	h := &nlHost{nsFD: -1, log: log}
	var err error
	if nsPath == "" {
		h.handle, err = netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return nil, fmt.Errorf("open netlink socket: %w", err)
		}
		if h.taps, err = newTapBatch(h.handle, -1); err != nil {
			h.handle.Close()
			return nil, err
		}
		return h, nil
	}
	h.nsFD, err = unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open network namespace %s: %w", nsPath, err)
	}
	h.handle, err = netlink.NewHandleAt(netns.NsHandle(h.nsFD), unix.NETLINK_ROUTE)
	if err != nil {
		unix.Close(h.nsFD)
		return nil, fmt.Errorf("open netlink socket in %s: %w", nsPath, err)
	}
	if h.taps, err = newTapBatch(h.handle, h.nsFD); err != nil {
		h.handle.Close()
		unix.Close(h.nsFD)
		return nil, fmt.Errorf("%s: %w", nsPath, err)
	}
	return h, nil
}

func (h *nlHost) close() error {
	h.taps.close()
	h.handle.Close()
	if h.nsFD >= 0 {
		return unix.Close(h.nsFD)
	}
	return nil
}

// inNS calls f on a thread in the Host's network namespace. With no
// namespace of its own that is the calling goroutine's. Otherwise f runs on
// a new goroutine locked to a thread that enters the namespace and is never
// unlocked: when the goroutine ends, the runtime ends the thread instead of
// handing a thread in a foreign namespace to other goroutines.
func (h *nlHost) inNS(f func() error) error {
	if h.nsFD < 0 {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(h.nsFD, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter network namespace: %w", err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// dumpAttempts bounds the retries of a netlink dump that the kernel
// interrupted because the interfaces changed during it.
const dumpAttempts = 5

// addrList lists the addresses of all interfaces, retrying an interrupted
// dump.
func (h *nlHost) addrList(link netlink.Link) ([]netlink.Addr, error) {
	var err error
	for range dumpAttempts {
		var addrs []netlink.Addr
		if addrs, err = h.handle.AddrList(link, netlink.FAMILY_ALL); err == nil {
			return addrs, nil
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return nil, fmt.Errorf("list addresses: %w", err)
}

// linkByName returns the interface name, or an error wrapping
// ErrNoInterface. netlink's LinkNotFoundError does not leave the package.
func (h *nlHost) linkByName(name string) (netlink.Link, error) {
	if name == "" || len(name) >= unix.IFNAMSIZ || strings.ContainsAny(name, "/: \t\n") {
		return nil, fmt.Errorf("invalid interface name %q", name)
	}
	link, err := h.handle.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) || errors.Is(err, unix.ENODEV) {
		return nil, fmt.Errorf("interface %s: %w", name, ErrNoInterface)
	}
	if err != nil {
		return nil, fmt.Errorf("look up interface %s: %w", name, err)
	}
	return link, nil
}

// gone reports whether err says an interface or address no longer exists:
// deleting it has succeeded.
func gone(err error) bool {
	return errors.Is(err, ErrNoInterface) || errors.Is(err, unix.ENODEV) ||
		errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EADDRNOTAVAIL)
}

func isUp(l netlink.Link) bool { return l.Attrs().Flags&net.FlagUp != 0 }

func isBridge(l netlink.Link) bool {
	_, ok := l.(*netlink.Bridge)
	return ok
}

func isTap(l netlink.Link) bool {
	t, ok := l.(*netlink.Tuntap)
	return ok && t.Mode == netlink.TUNTAP_MODE_TAP
}

func (h *nlHost) links(ctx context.Context, owner string) (*hostLinks, error) {
	links, err := dumpLinks(h.taps.sock)
	if err != nil {
		return nil, err
	}
	addrs, err := h.addrList(nil)
	if err != nil {
		return nil, err
	}
	names := make(map[int]string, len(links))
	for _, l := range links {
		names[l.index] = l.name
	}
	prefixes := map[int][]netip.Prefix{}
	for _, a := range addrs {
		if p, ok := hostPrefix(a); ok {
			prefixes[a.LinkIndex] = append(prefixes[a.LinkIndex], p)
		}
	}
	bridges := map[string]plan.ObservedBridge{}
	taps := map[string]plan.ObservedTap{}
	foreign := map[string]string{}
	for _, l := range links {
		switch {
		case l.isBridge():
			b := plan.ObservedBridge{Name: l.name, Addresses: prefixes[l.index], MTU: l.mtu, Up: l.up}
			b.Owned, b.Legacy, b.OtherDataDir = bridgeOwnership(l.alias, owner)
			bridges[l.name] = b
		case l.isTap():
			t, what, ok := observeTap(l.name, l.alias, owner)
			switch {
			case !ok:
				if tapNamePattern.MatchString(l.name) {
					foreign[l.name] = fmt.Sprintf("a tap with alias %q, not roost's", l.alias)
				}
				continue
			case what != "":
				foreign[l.name] = what
				continue
			}
			t.Up = l.up
			if m, ok := names[l.master]; ok && l.master != 0 {
				t.Master = m
			}
			taps[l.name] = t
		default:
			if tapNamePattern.MatchString(l.name) {
				foreign[l.name] = "a " + l.typeName() + ", not a tap"
			}
		}
	}
	return &hostLinks{bridges: bridges, taps: taps, foreign: foreign}, nil
}

// hostPrefix returns the address a as configured ("10.0.0.1/24"), if it is
// one roost manages: of global scope, so not the IPv6 link-local address
// the kernel gives every interface, and permanent, so not one that SLAAC or
// a DHCP client added with a lifetime.
func hostPrefix(a netlink.Addr) (netip.Prefix, bool) {
	if a.IPNet == nil || a.Scope != unix.RT_SCOPE_UNIVERSE || a.Flags&unix.IFA_F_PERMANENT == 0 {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(a.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	ones, bits := a.Mask.Size()
	if bits == 0 {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(ip, ones), true
}

func (h *nlHost) tapStats(name string) (TapStats, error) {
	link, err := h.linkByName(name)
	if err != nil {
		return TapStats{}, fmt.Errorf("stats of tap %s: %w", name, err)
	}
	s := link.Attrs().Statistics
	if s == nil {
		return TapStats{}, nil
	}
	return TapStats{RxBytes: s.RxBytes, TxBytes: s.TxBytes, RxPackets: s.RxPackets, TxPackets: s.TxPackets}, nil
}

// tapHostName is name: on Linux roost names its taps.
func (h *nlHost) tapHostName(name string) string { return name }
