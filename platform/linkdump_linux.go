package platform

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// link is what a plan reads of a network interface.
type link struct {
	index, master, mtu int
	up                 bool
	name, alias        string
	kind               string // IFLA_INFO_KIND: "bridge", "tun", "veth", ... ("" for none)
	tunType            uint8  // IFLA_TUN_TYPE of a "tun": 1 tun, 2 tap
}

// rtextFilterSkipStats is RTEXT_FILTER_SKIP_STATS (linux/rtnetlink.h,
// Linux 4.20): a link dump without each interface's counters.
const rtextFilterSkipStats = 1 << 3

// tunTypeTap is IFF_TAP, the IFLA_TUN_TYPE of a tap.
const tunTypeTap = 2

// dumpLinks lists the interfaces with one RTM_GETLINK dump through sock,
// opened in the host's namespace (tapBatch's). It asks the kernel to leave
// out the interfaces' counters and reads only what a plan needs: with a
// thousand taps, netlink.LinkList's full decoding of every interface,
// counters included, was a tenth of a plan's CPU. A dump the kernel
// interrupted (an interface changed meanwhile) is made again.
func dumpLinks(sock *nl.SocketHandle) ([]link, error) {
	var err error
	for range dumpAttempts {
		var links []link
		if links, err = dumpLinks1(sock); err == nil {
			return links, nil
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return nil, fmt.Errorf("list interfaces: %w", err)
}

func dumpLinks1(sock *nl.SocketHandle) ([]link, error) {
	req := &nl.NetlinkRequest{
		NlMsghdr: unix.NlMsghdr{Len: unix.SizeofNlMsghdr, Type: unix.RTM_GETLINK, Flags: unix.NLM_F_REQUEST | unix.NLM_F_DUMP},
		Sockets:  map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: sock},
	}
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_EXT_MASK, nl.Uint32Attr(rtextFilterSkipStats)))
	var links []link
	var perr error
	err := req.ExecuteIter(unix.NETLINK_ROUTE, unix.RTM_NEWLINK, func(m []byte) bool {
		l, err := parseLink(m)
		if err != nil {
			perr = err
			return false
		}
		links = append(links, l)
		return true
	})
	if perr != nil {
		return nil, perr
	}
	if err != nil {
		return nil, err
	}
	return links, nil
}

// parseLink reads an RTM_NEWLINK message: a struct ifinfomsg, then
// attributes.
func parseLink(m []byte) (link, error) {
	if len(m) < unix.SizeofIfInfomsg {
		return link{}, fmt.Errorf("parse link message: %d bytes, shorter than ifinfomsg", len(m))
	}
	var l link
	var data []byte // IFLA_INFO_DATA, whose attributes depend on the kind
	l.index = int(int32(binary.NativeEndian.Uint32(m[4:8])))
	l.up = binary.NativeEndian.Uint32(m[8:12])&unix.IFF_UP != 0
	err := eachAttr(m[unix.SizeofIfInfomsg:], func(typ uint16, v []byte) error {
		switch typ {
		case unix.IFLA_IFNAME:
			l.name = cString(v)
		case unix.IFLA_IFALIAS:
			l.alias = cString(v)
		case unix.IFLA_MTU:
			l.mtu = int(attrUint32(v))
		case unix.IFLA_MASTER:
			l.master = int(attrUint32(v))
		case unix.IFLA_LINKINFO:
			return eachAttr(v, func(typ uint16, v []byte) error {
				switch typ {
				case unix.IFLA_INFO_KIND:
					l.kind = cString(v)
				case unix.IFLA_INFO_DATA:
					data = v
				}
				return nil
			})
		}
		return nil
	})
	if err == nil && l.kind == "tun" {
		err = eachAttr(data, func(typ uint16, v []byte) error {
			if typ == unix.IFLA_TUN_TYPE && len(v) >= 1 {
				l.tunType = v[0]
			}
			return nil
		})
	}
	if err != nil {
		return link{}, fmt.Errorf("parse link message of index %d: %w", l.index, err)
	}
	return l, nil
}

// eachAttr calls f with the type (without the nested and byte-order
// flags) and payload of each netlink attribute in b.
func eachAttr(b []byte, f func(typ uint16, v []byte) error) error {
	for len(b) >= unix.SizeofRtAttr {
		n := int(binary.NativeEndian.Uint16(b[0:2]))
		typ := binary.NativeEndian.Uint16(b[2:4]) &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
		if n < unix.SizeofRtAttr || n > len(b) {
			return fmt.Errorf("attribute of type %d: length %d out of the %d bytes left", typ, n, len(b))
		}
		if err := f(typ, b[unix.SizeofRtAttr:n]); err != nil {
			return err
		}
		b = b[min(len(b), nlaAlign(n)):]
	}
	return nil
}

func nlaAlign(n int) int { return (n + unix.NLA_ALIGNTO - 1) &^ (unix.NLA_ALIGNTO - 1) }

// cString is a NUL-terminated attribute's string.
func cString(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}

func attrUint32(v []byte) uint32 {
	if len(v) < 4 {
		return 0
	}
	return binary.NativeEndian.Uint32(v)
}

func (l *link) isBridge() bool { return l.kind == "bridge" }
func (l *link) isTap() bool    { return l.kind == "tun" && l.tunType == tunTypeTap }

// typeName is what netlink.Link's Type says of l, for messages: "device"
// for an interface of no kind, "tuntap" for a tun.
func (l *link) typeName() string {
	switch l.kind {
	case "":
		return "device"
	case "tun":
		return "tuntap"
	}
	return l.kind
}
