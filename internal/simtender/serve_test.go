package simtender

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	guestMAC = [6]byte{0x02, 0, 0, 0, 0, 0x01}
	hostMAC  = [6]byte{0x02, 0, 0, 0, 0, 0x02}
	guestIP  = [4]byte{192, 0, 2, 2}
	hostIP   = [4]byte{192, 0, 2, 1}
)

func TestResponderReply(t *testing.T) {
	r := &responder{mac: guestMAC, ip: guestIP}
	arpReply := func() []byte {
		b := arpRequestFrame(guestMAC, guestIP, hostIP) // the same layout, other values
		copy(b[0:6], hostMAC[:])
		a := b[etherHeaderLen:]
		binary.BigEndian.PutUint16(a[6:], arpReply)
		copy(a[18:24], hostMAC[:])
		return b
	}()
	echoReply := func() []byte {
		b := echoRequestFrame(hostMAC, guestMAC, guestIP, hostIP, 7, "ping!")
		ip := b[etherHeaderLen : etherHeaderLen+ipv4HeaderLen]
		ip[6], ip[7] = 0, 0 // the reply has no DF
		ip[10], ip[11] = 0, 0
		binary.BigEndian.PutUint16(ip[10:], checksum(ip))
		m := b[etherHeaderLen+ipv4HeaderLen:]
		m[0], m[2], m[3] = icmpEchoReply, 0, 0
		binary.BigEndian.PutUint16(m[2:], checksum(m))
		return b
	}()
	mutate := func(b []byte, f func([]byte)) []byte { f(b); return b }

	tests := []struct {
		name  string
		frame []byte
		want  []byte
	}{
		{"arp-request", arpRequestFrame(hostMAC, hostIP, guestIP), arpReply},
		{"arp-request-unicast", mutate(arpRequestFrame(hostMAC, hostIP, guestIP), func(b []byte) { copy(b[0:6], guestMAC[:]) }), arpReply},
		{"arp-for-another-address", arpRequestFrame(hostMAC, hostIP, [4]byte{192, 0, 2, 3}), nil},
		{"arp-to-another-mac", mutate(arpRequestFrame(hostMAC, hostIP, guestIP), func(b []byte) { b[5] = 0x99 }), nil},
		{"arp-reply", arpReply, nil},
		{"arp-truncated", arpRequestFrame(hostMAC, hostIP, guestIP)[:30], nil},
		{"echo-request", echoRequestFrame(guestMAC, hostMAC, hostIP, guestIP, 7, "ping!"), echoReply},
		{"echo-padded", append(echoRequestFrame(guestMAC, hostMAC, hostIP, guestIP, 7, "ping!"), 0, 0, 0), echoReply},
		{"echo-to-another-address", echoRequestFrame(guestMAC, hostMAC, hostIP, [4]byte{192, 0, 2, 3}, 7, "ping!"), nil},
		{"echo-broadcast", echoRequestFrame(broadcast, hostMAC, hostIP, guestIP, 7, "ping!"), nil},
		{"echo-bad-ip-checksum", mutate(echoRequestFrame(guestMAC, hostMAC, hostIP, guestIP, 7, "ping!"), func(b []byte) { b[etherHeaderLen+10] ^= 1 }), nil},
		{"echo-bad-icmp-checksum", mutate(echoRequestFrame(guestMAC, hostMAC, hostIP, guestIP, 7, "ping!"), func(b []byte) { b[len(b)-1] ^= 1 }), nil},
		{"echo-fragment", mutate(echoRequestFrame(guestMAC, hostMAC, hostIP, guestIP, 7, "ping!"), func(b []byte) {
			ip := b[etherHeaderLen : etherHeaderLen+ipv4HeaderLen]
			ip[6] = 0x20 // MF
			ip[10], ip[11] = 0, 0
			binary.BigEndian.PutUint16(ip[10:], checksum(ip))
		}), nil},
		{"echo-total-length-beyond-frame", mutate(echoRequestFrame(guestMAC, hostMAC, hostIP, guestIP, 7, "ping!"), func(b []byte) {
			ip := b[etherHeaderLen : etherHeaderLen+ipv4HeaderLen]
			binary.BigEndian.PutUint16(ip[2:], 200)
			ip[10], ip[11] = 0, 0
			binary.BigEndian.PutUint16(ip[10:], checksum(ip))
		}), nil},
		{"echo-reply", echoReply, nil},
		{"ipv6", mutate(echoRequestFrame(guestMAC, hostMAC, hostIP, guestIP, 7, "x"), func(b []byte) { b[12], b[13] = 0x86, 0xdd }), nil},
		{"runt", []byte{1, 2, 3}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.reply(tt.frame)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reply mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChecksum(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want uint16
	}{
		{"empty", nil, 0xffff},
		// RFC 1071 section 3's example: the sum is ddf2.
		{"rfc1071", []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, ^uint16(0xddf2)},
		{"odd-length", []byte{0x01}, ^uint16(0x0100)},
		{"carry", []byte{0xff, 0xff, 0x00, 0x01}, ^uint16(0x0001)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checksum(tt.in); got != tt.want {
				t.Errorf("checksum(%x) = %#04x, want %#04x", tt.in, got, tt.want)
			}
		})
	}
}
