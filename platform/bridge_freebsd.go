package platform

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/roostd/roost/plan"
)

func (h *ifconfigHost) createBridge(ctx context.Context, b plan.Bridge, owner string) error {
	if err := h.createBridge1(ctx, b, owner); err != nil {
		return fmt.Errorf("create bridge %s: %w", b.Name, err)
	}
	return nil
}

func (h *ifconfigHost) createBridge1(ctx context.Context, b plan.Bridge, owner string) error {
	br, err := h.lookup(ctx, b.Name)
	if errors.Is(err, ErrNoInterface) {
		br, err = h.addBridge(ctx, b, owner)
	}
	if err != nil {
		return err
	}
	if !br.InGroup("bridge") {
		return fmt.Errorf("interface %s exists and is not a bridge (groups %v)", b.Name, br.Groups)
	}
	if !ownsBridge(br.Description, owner) {
		// DESIGN.md: a bridge that existed before is used, never
		// changed or deleted; so is another data directory's.
		h.log.Info("bridge exists without this data directory's description; using it as it is", "bridge", b.Name, "description", br.Description)
		return nil
	}
	return h.setBridge(ctx, br, b, owner)
}

// addBridge creates the bridge b with its description and returns it. The
// kernel names a new bridge bridgeN; it is renamed to b.Name and then
// described. If either fails, the new bridge is destroyed again rather
// than left behind under a name or without a mark that nobody knows.
func (h *ifconfigHost) addBridge(ctx context.Context, b plan.Bridge, owner string) (ifconfigIface, error) {
	if !validIfName(b.Name) {
		return ifconfigIface{}, fmt.Errorf("invalid interface name %q", b.Name)
	}
	out, err := h.ifconfig(ctx, ifconfigCreate("bridge")...)
	if err != nil {
		return ifconfigIface{}, err
	}
	made, err := parseCreated(out)
	if err != nil {
		return ifconfigIface{}, fmt.Errorf("parse what ifconfig bridge create printed: %w", err)
	}
	name := made
	if made != b.Name {
		if _, err = h.ifconfig(ctx, ifconfigRename(made, b.Name)...); err == nil {
			name = b.Name
		}
	}
	if err == nil {
		_, err = h.ifconfig(ctx, ifconfigDescribe(name, plan.BridgeAlias(owner))...)
	}
	if err != nil {
		if _, derr := h.ifconfig(ctx, ifconfigDestroy(name)...); derr != nil && !gone(derr) {
			err = errors.Join(err, fmt.Errorf("destroy %s again: %w", name, derr))
		}
		return ifconfigIface{}, err
	}
	return h.lookup(ctx, b.Name)
}

func (h *ifconfigHost) updateBridge(ctx context.Context, b plan.Bridge, owner string) error {
	br, err := h.lookup(ctx, b.Name)
	if err == nil && !br.InGroup("bridge") {
		err = fmt.Errorf("interface %s is not a bridge (groups %v)", b.Name, br.Groups)
	}
	if err == nil && !ownsBridge(br.Description, owner) {
		err = fmt.Errorf("its description is %q, not %q: %w", br.Description, plan.BridgeAlias(owner), ErrNotOwned)
	}
	if err == nil {
		err = h.setBridge(ctx, br, b, owner)
	}
	if err != nil {
		return fmt.Errorf("update bridge %s: %w", b.Name, err)
	}
	return nil
}

// setBridge brings the roost bridge br to b: the description of the data
// directory owner (a bridge of a roost before data directory IDs gets
// it), MTU (if b sets one), addresses, up.
func (h *ifconfigHost) setBridge(ctx context.Context, br ifconfigIface, b plan.Bridge, owner string) error {
	if desc := plan.BridgeAlias(owner); br.Description != desc {
		if _, err := h.ifconfig(ctx, ifconfigDescribe(br.Name, desc)...); err != nil {
			return fmt.Errorf("describe %s: %w", br.Name, err)
		}
	}
	if b.MTU != 0 && br.MTU != b.MTU {
		if _, err := h.ifconfig(ctx, ifconfigMTU(br.Name, b.MTU)...); err != nil {
			return fmt.Errorf("set mtu %d: %w", b.MTU, err)
		}
	}
	if err := h.setAddresses(ctx, br, b.Addresses); err != nil {
		return err
	}
	if !br.Up() {
		if _, err := h.ifconfig(ctx, ifconfigUp(br.Name)...); err != nil {
			return fmt.Errorf("set up: %w", err)
		}
	}
	return nil
}

// setAddresses makes the addresses roost manages on br (ifconfigIface's
// Addresses: not link-local, not SLAAC's) equal to want: it removes the
// others, reads the list again, and adds the missing ones, as on Linux.
func (h *ifconfigHost) setAddresses(ctx context.Context, br ifconfigIface, want []netip.Prefix) error {
	wanted := map[netip.Prefix]bool{}
	for _, p := range want {
		wanted[netip.PrefixFrom(p.Addr().Unmap(), p.Bits())] = true
	}
	for _, p := range br.Addresses {
		if wanted[p] {
			continue
		}
		if _, err := h.ifconfig(ctx, ifconfigAddress(br.Name, p, false)...); err != nil && !gone(err) {
			return fmt.Errorf("remove address %s: %w", p, err)
		}
	}
	now, err := h.lookup(ctx, br.Name)
	if err != nil {
		return err
	}
	have := map[netip.Prefix]bool{}
	for _, p := range now.Addresses {
		have[p] = true
	}
	for p := range wanted {
		if have[p] {
			continue
		}
		if _, err := h.ifconfig(ctx, ifconfigAddress(br.Name, p, true)...); err != nil {
			return fmt.Errorf("add address %s: %w", p, err)
		}
	}
	return nil
}

func (h *ifconfigHost) deleteBridge(ctx context.Context, name, owner string) error {
	br, err := h.lookup(ctx, name)
	if errors.Is(err, ErrNoInterface) {
		return nil
	}
	if err == nil && !br.InGroup("bridge") {
		err = fmt.Errorf("interface %s is not a bridge (groups %v)", name, br.Groups)
	}
	if err == nil && !ownsBridge(br.Description, owner) {
		err = fmt.Errorf("its description is %q, not %q: %w", br.Description, plan.BridgeAlias(owner), ErrNotOwned)
	}
	if err == nil {
		if _, err = h.ifconfig(ctx, ifconfigDestroy(name)...); gone(err) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("delete bridge %s: %w", name, err)
	}
	return nil
}
