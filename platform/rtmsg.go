package platform

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// FreeBSD's routing messages (route(4)) as roost reads them: the interface
// list of sysctl net.route.0.0.NET_RT_IFLIST for tap counters, and the
// interface announcements of the routing socket for drift. The parsers
// live here, without a build constraint, so that their tests run
// everywhere. The layouts are those of FreeBSD 11 and later, the same on
// every architecture it runs on (net/if.h: struct if_msghdr with struct
// if_data of fixed-size fields, struct if_announcemsghdr). Each
// message starts with its length, version and type.

const (
	rtmVersion     = 5    // RTM_VERSION
	rtmIfInfo      = 0x0e // RTM_IFINFO
	rtmIfAnnounce  = 0x11 // RTM_IFANNOUNCE
	ifanDeparture  = 1    // IFAN_DEPARTURE
	ifMsghdrMin    = 96   // through ifi_obytes of the if_data in if_msghdr
	ifAnnounceSize = 24   // sizeof(struct if_announcemsghdr)
	iffUp          = 0x1  // IFF_UP
)

// rtMessage is one routing message that roost reads: an RTM_IFINFO
// (Index, Flags and, from the interface list, Stats) or an
// RTM_IFANNOUNCE (Index, Name, Departure).
type rtMessage struct {
	Type      uint8
	Index     uint16
	Flags     uint32
	Stats     TapStats
	Name      string
	Departure bool
}

// parseRTMessages splits b into routing messages and decodes the
// RTM_IFINFO and RTM_IFANNOUNCE ones; it skips messages of other types
// and versions. A length that runs past b, or a known message too short
// for its type, is an error.
func parseRTMessages(b []byte) ([]rtMessage, error) {
	var msgs []rtMessage
	le := binary.LittleEndian // amd64, arm64, riscv64: FreeBSD's little-endian ports
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return nil, fmt.Errorf("routing message at %d: %d bytes left, want a header of 4", off, len(b)-off)
		}
		n := int(le.Uint16(b[off:]))
		if n < 4 || n > len(b)-off {
			return nil, fmt.Errorf("routing message at %d: length %d, %d bytes left", off, n, len(b)-off)
		}
		m := b[off : off+n]
		off += n
		if m[2] != rtmVersion {
			continue
		}
		switch m[3] {
		case rtmIfInfo:
			if n < ifMsghdrMin {
				return nil, fmt.Errorf("RTM_IFINFO of %d bytes, want at least %d", n, ifMsghdrMin)
			}
			msgs = append(msgs, rtMessage{
				Type:  rtmIfInfo,
				Flags: le.Uint32(m[8:]),
				Index: le.Uint16(m[12:]),
				Stats: TapStats{
					RxPackets: le.Uint64(m[16+24:]),
					TxPackets: le.Uint64(m[16+40:]),
					RxBytes:   le.Uint64(m[16+64:]),
					TxBytes:   le.Uint64(m[16+72:]),
				},
			})
		case rtmIfAnnounce:
			if n < ifAnnounceSize {
				return nil, fmt.Errorf("RTM_IFANNOUNCE of %d bytes, want %d", n, ifAnnounceSize)
			}
			name := m[6:22]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			msgs = append(msgs, rtMessage{
				Type:      rtmIfAnnounce,
				Index:     le.Uint16(m[4:]),
				Name:      string(name),
				Departure: le.Uint16(m[22:]) == ifanDeparture,
			})
		}
	}
	return msgs, nil
}
