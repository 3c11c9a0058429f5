package platform

import (
	"net"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// TestLinkDrift checks which link updates are drift: a roost tap or a
// bridge removed or down, a tap off its bridge; not an up bridge whose
// alias, roost:bridge:<ID>, has the form of a tap's (a port joining it
// once read as "tap service of bridge (ID) left its bridge").
func TestLinkDrift(t *testing.T) {
	update := func(l netlink.Link, msg uint16) netlink.LinkUpdate {
		return netlink.LinkUpdate{IfInfomsg: nl.IfInfomsg{}, Header: unix.NlMsghdr{Type: msg}, Link: l}
	}
	attrs := func(name, alias string, up bool, master int) netlink.LinkAttrs {
		a := netlink.NewLinkAttrs()
		a.Name, a.Alias, a.MasterIndex = name, alias, master
		if up {
			a.Flags = net.FlagUp
		}
		return a
	}
	tests := []struct {
		name string
		u    netlink.LinkUpdate
		want string // "" for no drift
	}{
		{"bridge-up", update(&netlink.Bridge{LinkAttrs: attrs("service", "roost:bridge:3f2a9c1b5d", true, 0)}, unix.RTM_NEWLINK), ""},
		{"bridge-down", update(&netlink.Bridge{LinkAttrs: attrs("service", "roost:bridge:3f2a9c1b5d", false, 0)}, unix.RTM_NEWLINK), "bridge service down"},
		{"bridge-removed", update(&netlink.Bridge{LinkAttrs: attrs("service", "", true, 0)}, unix.RTM_DELLINK), "bridge service removed"},
		{"tap-on-bridge", update(&netlink.Tuntap{LinkAttrs: attrs("rt1", "roost:web:service:3f2a9c1b5d", true, 7)}, unix.RTM_NEWLINK), ""},
		{"tap-off-bridge", update(&netlink.Tuntap{LinkAttrs: attrs("rt1", "roost:web:service:3f2a9c1b5d", true, 0)}, unix.RTM_NEWLINK), "tap rt1 of web (service) left its bridge"},
		{"other-link", update(&netlink.Dummy{LinkAttrs: attrs("d0", "roost:web:service", false, 0)}, unix.RTM_NEWLINK), ""},
	}
	for _, tt := range tests {
		d, ok := linkDrift(tt.u)
		if got := d.Message; ok != (tt.want != "") || got != tt.want {
			t.Errorf("%s: linkDrift = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}
