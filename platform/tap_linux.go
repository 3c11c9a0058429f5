package platform

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"github.com/roostd/roost/plan"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

func (h *nlHost) ensureTap(ctx context.Context, unikernel string, n plan.SpecNet, owner string) error {
	if err := h.ensureTap1(unikernel, n, owner); err != nil {
		return fmt.Errorf("create tap %s for %s: %w", n.Tap, unikernel, err)
	}
	return nil
}

func (h *nlHost) ensureTap1(unikernel string, n plan.SpecNet, owner string) error {
	alias := plan.TapAlias(unikernel, n.Device, owner)
	br, err := h.linkByName(n.Bridge)
	if err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	if !isBridge(br) {
		return fmt.Errorf("interface %s is a %s, not a bridge", n.Bridge, br.Type())
	}
	// Most taps roost ensures are new: create first, and look only when
	// the name is taken (EBUSY), whether by one of roost's taps or not.
	switch err := h.createTap(n.Tap, alias, br); {
	case err == nil:
		if err := h.inNS(func() error { return offloadsOff(n.Tap) }); err != nil {
			// Solo5's tap_attach does the same when it attaches and
			// ignores failure; the tap works either way.
			h.log.Warn("could not turn off GSO and GRO", "tap", n.Tap, "err", err)
		}
		return nil
	case !errors.Is(err, unix.EBUSY):
		return err
	}
	link, err := h.linkByName(n.Tap)
	if err != nil {
		return err
	}
	a := link.Attrs()
	if !isTap(link) {
		return fmt.Errorf("interface %s exists and is a %s, not a tap: %w", n.Tap, link.Type(), ErrNotOwned)
	}
	// Every persistent tap roost made has its alias (createTap), so a tap
	// without it, or with another, is someone else's: never taken over.
	// One a roost before data directory IDs made for this unikernel is
	// taken (plan found it this data directory's) and given the alias.
	switch a.Alias {
	case alias:
	case plan.TapAlias(unikernel, n.Device, ""):
		if err := h.handle.LinkSetAlias(link, alias); err != nil {
			return fmt.Errorf("set alias: %w", err)
		}
	default:
		return fmt.Errorf("tap exists with alias %q, not %q: %w", a.Alias, alias, ErrNotOwned)
	}
	// The tap takes the bridge's MTU before joining it: a port with a
	// smaller MTU would lower the MTU of a bridge whose MTU nobody set.
	if mtu := br.Attrs().MTU; a.MTU != mtu {
		if err := h.handle.LinkSetMTU(link, mtu); err != nil {
			return fmt.Errorf("set mtu %d: %w", mtu, err)
		}
	}
	if a.MasterIndex != br.Attrs().Index {
		if err := h.handle.LinkSetMaster(link, br); err != nil {
			return fmt.Errorf("enslave to bridge %s: %w", n.Bridge, err)
		}
	}
	// Last, as the tender refuses a tap that is down.
	if !isUp(link) {
		if err := h.handle.LinkSetUp(link); err != nil {
			return fmt.Errorf("set up: %w", err)
		}
	}
	return nil
}

// createTap makes the persistent tap name with the interface alias alias,
// up on the bridge br, as `ip tuntap add mode tap` and `ip link set` do
// but named before it outlives roost: attach a /dev/net/tun file with
// IFF_TUN_EXCL (fail with EBUSY if the name exists), set the alias, MTU,
// up and master in one netlink request while the file holds the tap,
// then set it persistent and close the file. Should roost die before the
// alias is set, the tap goes with the file; so a persistent tap without
// roost's alias was never roost's. The tap outlives the file, and with no
// file attached a tender can attach to it: a single-queue tap takes one
// file at a time.
//
// netlink.LinkAdd(&netlink.Tuntap{...}) does the same, but it opens
// /dev/net/tun in the calling thread's namespace while its netlink requests
// go to the Handle's, and it formats errno into text, losing EBUSY.
//
// Offloads are left as the kernel sets them on a new tap: TUNSETOFFLOAD
// features (checksum, TSO, UFO) all off, since Solo5 does not read virtio
// headers (no IFF_VNET_HDR). offloadsOff does the rest.
func (h *nlHost) createTap(name, alias string, br netlink.Link) error {
	// The tap's file must reach no other process: a single-queue tap
	// takes one file at a time, and a child forked (for a shim) while
	// the file is open would hold it until its exec, so that the shim
	// of this very tap could find it busy. syscall.ForkLock is what
	// os/exec holds to fork; held here, no fork happens while the file
	// is open.
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	var fd int
	if err := h.inNS(func() (err error) { fd, err = attachTap(name); return err }); err != nil {
		return err
	}
	defer unix.Close(fd)
	tapFileOpen()
	// One request sets what a new tap needs while the file holds it, so
	// that the tap persists only once all of it is set: roost's alias,
	// the bridge's MTU (a port with a smaller MTU would lower the MTU of
	// a bridge whose MTU nobody set), up (the tender refuses a tap that
	// is down) and the bridge.
	if err := h.inNS(func() error { return setupNewTap(name, alias, br.Attrs()) }); err != nil {
		return fmt.Errorf("set alias, mtu %d, bridge %s and up: %w", br.Attrs().MTU, br.Attrs().Name, err)
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETPERSIST, 1); err != nil {
		return fmt.Errorf("TUNSETPERSIST: %w", err)
	}
	return nil
}

// tapFileOpen is called while createTap holds a new tap's file: a test
// checks there that no fork can happen.
var tapFileOpen = func() {}

// setupNewTap sends one RTM_SETLINK for the tap name, in the calling
// thread's network namespace: alias, the bridge's MTU, up and the
// bridge. The kernel's do_setlink sets the MTU before the master.
func setupNewTap(name, alias string, br *netlink.LinkAttrs) error {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFALIAS, []byte(alias)))
	req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(br.MTU))))
	req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(br.Index))))
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// attachTap attaches a new /dev/net/tun file to a new tap name in the
// calling thread's network namespace and returns the file's descriptor;
// the tap is gone when it closes, unless made persistent.
func attachTap(name string) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("tap name %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_TUN_EXCL)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("TUNSETIFF: %w", err)
	}
	if got := ifr.Name(); got != name {
		// A name with "%d" is a template the kernel fills in. This
		// tap disappears with fd.
		unix.Close(fd)
		return -1, fmt.Errorf("kernel made tap %q, not %q", got, name)
	}
	return fd, nil
}

// ethtoolValue is struct ethtool_value (linux/ethtool.h).
type ethtoolValue struct {
	cmd  uint32
	data uint32
}

// ifreqData is struct ifreq with ifr_data, which x/sys/unix.Ifreq cannot
// hold (it has no pointer field the garbage collector would see).
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// offloadsOff turns off generic segmentation and receive offload on the
// interface name, as Solo5's tender does when it attaches to a tap: the
// unikernel reads and writes single frames of at most the MTU. SIOCETHTOOL
// works from outside, through any socket in the tap's namespace.
func offloadsOff(name string) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(s)
	var errs []error
	for _, c := range []struct {
		cmd  uint32
		what string
	}{{unix.ETHTOOL_SGSO, "gso"}, {unix.ETHTOOL_SGRO, "gro"}} {
		if err := ethtoolSet(s, name, c.cmd, 0); err != nil {
			errs = append(errs, fmt.Errorf("turn off %s: %w", c.what, err))
		}
	}
	return errors.Join(errs...)
}

func ethtoolSet(s int, name string, cmd, value uint32) error {
	v := &ethtoolValue{cmd: cmd, data: value}
	ifr := &ifreqData{data: unsafe.Pointer(v)}
	copy(ifr.name[:unix.IFNAMSIZ-1], name)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(s), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(ifr)))
	if errno != 0 {
		return errno
	}
	return nil
}

func (h *nlHost) deleteTap(ctx context.Context, name, owner string) error {
	link, err := h.linkByName(name)
	if errors.Is(err, ErrNoInterface) {
		return nil
	}
	if err == nil && !isTap(link) {
		err = fmt.Errorf("interface %s is a %s, not a tap", name, link.Type())
	}
	if err == nil && !ownsTap(link.Attrs().Alias, owner) {
		err = fmt.Errorf("its alias is %q: %w", link.Attrs().Alias, ErrNotOwned)
	}
	if err == nil {
		if err = h.taps.delete(ctx, link); gone(err) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("delete tap %s: %w", name, err)
	}
	return nil
}
