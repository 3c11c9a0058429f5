package platform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/roostd/roost/plan"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func (h *nlHost) createBridge(ctx context.Context, b plan.Bridge, owner string) error {
	err := h.createBridge1(b, owner)
	if err != nil {
		return fmt.Errorf("create bridge %s: %w", b.Name, err)
	}
	return nil
}

func (h *nlHost) createBridge1(b plan.Bridge, owner string) error {
	link, err := h.linkByName(b.Name)
	if errors.Is(err, ErrNoInterface) {
		link, err = h.addBridge(b, owner)
	}
	if err != nil {
		return err
	}
	if !isBridge(link) {
		return fmt.Errorf("interface %s exists and is a %s, not a bridge", b.Name, link.Type())
	}
	if !ownsBridge(link.Attrs().Alias, owner) {
		// DESIGN.md: a bridge that existed before is used, never
		// changed or deleted. Its addresses and MTU are its owner's,
		// as are those of another data directory's.
		h.log.Info("bridge exists without this data directory's alias; using it as it is", "bridge", b.Name, "alias", link.Attrs().Alias)
		return nil
	}
	return h.setBridge(link, b, owner)
}

// addBridge creates the bridge b, with its alias, and returns it. The
// kernel ignores IFLA_IFALIAS in a request that creates a link, so the
// alias is set by a second request; if that fails, the bridge is deleted
// again rather than left looking like one roost did not make.
func (h *nlHost) addBridge(b plan.Bridge, owner string) (netlink.Link, error) {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = b.Name
	attrs.MTU = b.MTU
	br := &netlink.Bridge{LinkAttrs: attrs}
	if err := h.handle.LinkAdd(br); err != nil {
		if errors.Is(err, unix.EEXIST) {
			// Made since we looked: judge it like any existing one.
			return h.linkByName(b.Name)
		}
		return nil, err
	}
	link, err := h.linkByName(b.Name)
	if err == nil {
		err = h.handle.LinkSetAlias(link, plan.BridgeAlias(owner))
	}
	if err != nil {
		if link != nil {
			if derr := h.handle.LinkDel(link); derr != nil && !gone(derr) {
				err = errors.Join(err, fmt.Errorf("delete it again: %w", derr))
			}
		}
		return nil, fmt.Errorf("set alias: %w", err)
	}
	return h.linkByName(b.Name)
}

func (h *nlHost) updateBridge(ctx context.Context, b plan.Bridge, owner string) error {
	link, err := h.linkByName(b.Name)
	if err == nil && !isBridge(link) {
		err = fmt.Errorf("interface %s is a %s, not a bridge", b.Name, link.Type())
	}
	if err == nil && !ownsBridge(link.Attrs().Alias, owner) {
		err = fmt.Errorf("its alias is %q, not %q: %w", link.Attrs().Alias, plan.BridgeAlias(owner), ErrNotOwned)
	}
	if err == nil {
		err = h.setBridge(link, b, owner)
	}
	if err != nil {
		return fmt.Errorf("update bridge %s: %w", b.Name, err)
	}
	return nil
}

// setBridge brings the roost bridge link to b: the alias of the data
// directory owner (a bridge of a roost before data directory IDs gets
// it), MTU (if b sets one), addresses, up.
func (h *nlHost) setBridge(link netlink.Link, b plan.Bridge, owner string) error {
	if alias := plan.BridgeAlias(owner); link.Attrs().Alias != alias {
		if err := h.handle.LinkSetAlias(link, alias); err != nil {
			return fmt.Errorf("set alias: %w", err)
		}
	}
	if b.MTU != 0 && link.Attrs().MTU != b.MTU {
		if err := h.handle.LinkSetMTU(link, b.MTU); err != nil {
			return fmt.Errorf("set mtu %d: %w", b.MTU, err)
		}
	}
	if err := h.setAddresses(link, b.Addresses); err != nil {
		return err
	}
	if !isUp(link) {
		if err := h.handle.LinkSetUp(link); err != nil {
			return fmt.Errorf("set up: %w", err)
		}
	}
	return nil
}

// setAddresses makes the global-scope addresses of link equal to want:
// it removes the others, then adds the missing ones. In that order, since
// removing a primary IPv4 address removes the secondary ones of its subnet
// too (unless net.ipv4.conf.*.promote_secondaries is set), so the list is
// read again in between. The kernel's link-local IPv6 address is not
// roost's and stays.
func (h *nlHost) setAddresses(link netlink.Link, want []netip.Prefix) error {
	wanted := map[netip.Prefix]bool{}
	for _, p := range want {
		wanted[netip.PrefixFrom(p.Addr().Unmap(), p.Bits())] = true
	}
	have, err := h.hostAddrs(link)
	if err != nil {
		return err
	}
	for p, a := range have {
		if wanted[p] {
			continue
		}
		if err := h.handle.AddrDel(link, &a); err != nil && !gone(err) {
			return fmt.Errorf("remove address %s: %w", p, err)
		}
	}
	if have, err = h.hostAddrs(link); err != nil {
		return err
	}
	for _, p := range want {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits())
		if _, ok := have[p]; ok {
			continue
		}
		a := &netlink.Addr{IPNet: &net.IPNet{
			IP:   p.Addr().AsSlice(),
			Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}}
		if err := h.handle.AddrReplace(link, a); err != nil {
			return fmt.Errorf("add address %s: %w", p, err)
		}
		have[p] = *a
	}
	return nil
}

// hostAddrs returns the global-scope addresses of link.
func (h *nlHost) hostAddrs(link netlink.Link) (map[netip.Prefix]netlink.Addr, error) {
	addrs, err := h.addrList(link)
	if err != nil {
		return nil, err
	}
	have := map[netip.Prefix]netlink.Addr{}
	for _, a := range addrs {
		if p, ok := hostPrefix(a); ok {
			have[p] = a
		}
	}
	return have, nil
}

func (h *nlHost) deleteBridge(ctx context.Context, name, owner string) error {
	link, err := h.linkByName(name)
	if errors.Is(err, ErrNoInterface) {
		return nil
	}
	if err == nil && !isBridge(link) {
		err = fmt.Errorf("interface %s is a %s, not a bridge", name, link.Type())
	}
	if err == nil && !ownsBridge(link.Attrs().Alias, owner) {
		err = fmt.Errorf("its alias is %q, not %q: %w", link.Attrs().Alias, plan.BridgeAlias(owner), ErrNotOwned)
	}
	if err == nil {
		if err = h.handle.LinkDel(link); gone(err) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("delete bridge %s: %w", name, err)
	}
	return nil
}
