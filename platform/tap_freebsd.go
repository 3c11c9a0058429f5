package platform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/roostd/roost/plan"
	"golang.org/x/sys/unix"
)

func (h *ifconfigHost) ensureTap(ctx context.Context, unikernel string, n plan.SpecNet, owner string) error {
	if err := h.ensureTap1(ctx, unikernel, n, owner); err != nil {
		return fmt.Errorf("create tap %s for %s: %w", n.Tap, unikernel, err)
	}
	return nil
}

// ensureTap1 finds the tap whose description is unikernel's device's, or
// creates one (the kernel names it) and describes it; then it gives it the
// bridge's MTU, makes it a member of the bridge and sets it up.
func (h *ifconfigHost) ensureTap1(ctx context.Context, unikernel string, n plan.SpecNet, owner string) error {
	desc := plan.TapAlias(unikernel, n.Device, owner)
	legacy := plan.TapAlias(unikernel, n.Device, "")
	ifaces, err := h.list(ctx)
	if err != nil {
		return err
	}
	// This data directory's tap first; one of a roost before data
	// directory IDs only if it has none (the kernel names taps, so both
	// may exist: the other another data directory's).
	var br, tap, old *ifconfigIface
	master := ""
	for k := range ifaces {
		i := &ifaces[k]
		if i.Name == n.Bridge {
			br = i
		}
		switch {
		case !i.InGroup("tap"):
		case tap == nil && i.Description == desc:
			tap = i
		case old == nil && i.Description == legacy:
			old = i
		}
	}
	if tap == nil {
		tap = old
	}
	if br == nil {
		return fmt.Errorf("bridge: interface %s: %w", n.Bridge, ErrNoInterface)
	}
	if !br.InGroup("bridge") {
		return fmt.Errorf("interface %s is not a bridge (groups %v)", n.Bridge, br.Groups)
	}
	switch {
	case tap == nil:
		made, err := h.addTap(ctx, desc)
		if err != nil {
			return err
		}
		tap = &made
	case tap.Description != desc:
		// A roost before data directory IDs made it (plan found it
		// this data directory's): it gets the description.
		if _, err := h.ifconfig(ctx, ifconfigDescribe(tap.Name, desc)...); err != nil {
			return fmt.Errorf("describe %s: %w", tap.Name, err)
		}
	}
	for _, i := range ifaces {
		if i.InGroup("bridge") && slices.Contains(i.Members, tap.Name) {
			master = i.Name
		}
	}
	h.remember(plan.TapName(unikernel, n.Device), tap.Name, fmt.Sprintf("tap %s of %s (%s)", tap.Name, unikernel, n.Device))
	// if_bridge(4) refuses a member whose MTU differs from the bridge's.
	if tap.MTU != br.MTU {
		if _, err := h.ifconfig(ctx, ifconfigMTU(tap.Name, br.MTU)...); err != nil {
			return fmt.Errorf("set mtu %d of %s: %w", br.MTU, tap.Name, err)
		}
	}
	if master != n.Bridge {
		if master != "" {
			if _, err := h.ifconfig(ctx, ifconfigDeleteMember(master, tap.Name)...); err != nil && !gone(err) {
				return fmt.Errorf("remove %s from bridge %s: %w", tap.Name, master, err)
			}
		}
		if _, err := h.ifconfig(ctx, ifconfigAddMember(n.Bridge, tap.Name)...); err != nil {
			return fmt.Errorf("add %s to bridge %s: %w", tap.Name, n.Bridge, err)
		}
	}
	// Last, as the tender refuses a tap that is down.
	if !tap.Up() {
		if _, err := h.ifconfig(ctx, ifconfigUp(tap.Name)...); err != nil {
			return fmt.Errorf("set %s up: %w", tap.Name, err)
		}
	}
	return nil
}

// addTap creates a tap, describes it desc and returns it. A tap whose
// description cannot be set is destroyed again: without it, nothing says
// that roost made it. (A roost killed between the two leaves a tap with
// no description, which roost never touches: see the README.)
func (h *ifconfigHost) addTap(ctx context.Context, desc string) (ifconfigIface, error) {
	out, err := h.ifconfig(ctx, ifconfigCreate("tap")...)
	if err != nil {
		return ifconfigIface{}, err
	}
	name, err := parseCreated(out)
	if err != nil {
		return ifconfigIface{}, fmt.Errorf("parse what ifconfig tap create printed: %w", err)
	}
	if _, err := h.ifconfig(ctx, ifconfigDescribe(name, desc)...); err != nil {
		if _, derr := h.ifconfig(ctx, ifconfigDestroy(name)...); derr != nil && !gone(derr) {
			err = errors.Join(err, fmt.Errorf("destroy %s again: %w", name, derr))
		}
		return ifconfigIface{}, fmt.Errorf("describe %s: %w", name, err)
	}
	return h.lookup(ctx, name)
}

// deleteTap destroys every tap whose description names the device that
// the plan name name stands for (two, if a crash ever left a second one),
// and the interface called name if it is a roost tap. An interface called
// name that is not is an error wrapping ErrNotOwned.
func (h *ifconfigHost) deleteTap(ctx context.Context, name, owner string) error {
	ifaces, err := h.list(ctx)
	if err != nil {
		return fmt.Errorf("delete tap %s: %w", name, err)
	}
	// This data directory's taps of the device; those of a roost before
	// data directory IDs only if it has none (they are then another's).
	var mine, old []string
	var errs []error
	for _, i := range ifaces {
		unikernel, device, ok := roostTap(i, owner)
		switch {
		case ok && (plan.TapName(unikernel, device) == name || i.Name == name):
			if _, _, o, _ := plan.ParseTapAlias(i.Description); o == "" {
				old = append(old, i.Name)
			} else {
				mine = append(mine, i.Name)
			}
		case i.Name == name:
			errs = append(errs, fmt.Errorf("interface %s has description %q: %w", name, i.Description, ErrNotOwned))
		}
	}
	if len(mine) == 0 {
		mine = old
	}
	for _, tap := range mine {
		if _, err := h.ifconfig(ctx, ifconfigDestroy(tap)...); err != nil && !gone(err) {
			errs = append(errs, fmt.Errorf("destroy %s: %w", tap, err))
		}
	}
	h.forget(name)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete tap %s: %w", name, err)
	}
	return nil
}

// tapStats reads the counters of the tap's if_data from the kernel's
// interface list (sysctl net.route.0.0.NET_RT_IFLIST.INDEX), as
// netstat -I does.
func (h *ifconfigHost) tapStats(name string) (TapStats, error) {
	kernel := h.tapHostName(name)
	ifi, err := net.InterfaceByName(kernel)
	if err != nil {
		return TapStats{}, fmt.Errorf("stats of tap %s (%s): %w", name, kernel, err)
	}
	b, err := unix.SysctlRaw("net.route", 0, 0, unix.NET_RT_IFLIST, ifi.Index)
	if err != nil {
		return TapStats{}, fmt.Errorf("stats of tap %s (%s): sysctl net.route: %w", name, kernel, err)
	}
	msgs, err := parseRTMessages(b)
	if err != nil {
		return TapStats{}, fmt.Errorf("stats of tap %s (%s): %w", name, kernel, err)
	}
	for _, m := range msgs {
		if m.Type == rtmIfInfo && int(m.Index) == ifi.Index {
			return m.Stats, nil
		}
	}
	return TapStats{}, fmt.Errorf("stats of tap %s (%s): %w", name, kernel, ErrNoInterface)
}
