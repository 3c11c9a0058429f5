package simtender

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/roostd/roost/platform/solo5"
)

// serve runs the serve directive until ctx is cancelled: on every attached
// net device it answers ARP and ICMP echo requests for addr, or reads and
// drops frames when addr is the zero Prefix. It returns nil once ctx is
// cancelled, or the first *ioError of any device.
func (g *guest) serve(ctx context.Context, addr netip.Prefix) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var nets []*device
	for _, d := range g.t.devices {
		if d.Type == solo5.NetBasic && d.attached {
			nets = append(nets, d)
		}
	}
	errc := make(chan error, len(nets))
	for _, d := range nets {
		var r *responder
		if addr.IsValid() {
			r = &responder{mac: d.mac, ip: addr.Addr().As4()}
		}
		go func() { errc <- serveTap(ctx, d.file, r) }()
	}
	if len(nets) == 0 {
		<-ctx.Done()
		return nil
	}
	var first error
	for range nets {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// serveTap answers frames read from f with r until ctx is cancelled; r nil
// drops them.
func serveTap(ctx context.Context, f *os.File, r *responder) error {
	// Taps are non-blocking, so f is in Go's poller and a deadline in
	// the past ends a pending Read.
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 1<<16)
	for {
		n, err := f.Read(buf)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, io.EOF) {
			// The other end of an @NN descriptor went away; the
			// guest would see SOLO5_R_AGAIN for ever.
			<-ctx.Done()
			return nil
		}
		if err != nil {
			return &ioError{op: "reading", err: err}
		}
		if r == nil {
			continue
		}
		if out := r.reply(buf[:n]); out != nil {
			if _, err := f.Write(out); err != nil {
				return &ioError{op: "writing", err: err}
			}
		}
	}
}

// responder is the least of a network stack that makes a unikernel
// answer ping: ARP for its address and ICMP echo.
type responder struct {
	mac [6]byte
	ip  [4]byte
}

const (
	etherHeaderLen  = 14
	etherTypeIPv4   = 0x0800
	etherTypeARP    = 0x0806
	arpLen          = 28
	arpRequest      = 1
	arpReply        = 2
	ipv4HeaderLen   = 20
	protoICMP       = 1
	icmpEchoReply   = 0
	icmpEchoRequest = 8
	icmpHeaderLen   = 8
	replyTTL        = 64
)

var broadcast = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// reply returns the frame that answers frame, or nil.
func (r *responder) reply(frame []byte) []byte {
	if len(frame) < etherHeaderLen {
		return nil
	}
	dst := [6]byte(frame[0:6])
	switch binary.BigEndian.Uint16(frame[12:]) {
	case etherTypeARP:
		if dst == r.mac || dst == broadcast {
			return r.arp(frame)
		}
	case etherTypeIPv4:
		if dst == r.mac {
			return r.echo(frame)
		}
	}
	return nil
}

// arp answers an ARP request for r.ip (RFC 826).
func (r *responder) arp(frame []byte) []byte {
	be := binary.BigEndian
	a := frame[etherHeaderLen:]
	if len(a) < arpLen ||
		be.Uint16(a[0:]) != 1 || // Ethernet
		be.Uint16(a[2:]) != etherTypeIPv4 ||
		a[4] != 6 || a[5] != 4 ||
		be.Uint16(a[6:]) != arpRequest ||
		!bytes.Equal(a[24:28], r.ip[:]) {
		return nil
	}
	out := make([]byte, etherHeaderLen+arpLen)
	copy(out[0:6], a[8:14])
	copy(out[6:12], r.mac[:])
	be.PutUint16(out[12:], etherTypeARP)
	o := out[etherHeaderLen:]
	be.PutUint16(o[0:], 1)
	be.PutUint16(o[2:], etherTypeIPv4)
	o[4], o[5] = 6, 4
	be.PutUint16(o[6:], arpReply)
	copy(o[8:14], r.mac[:])
	copy(o[14:18], r.ip[:])
	copy(o[18:24], a[8:14])  // the requester's hardware address
	copy(o[24:28], a[14:18]) // and protocol address
	return out
}

// echo answers an ICMP echo request to r.ip (RFC 792).
func (r *responder) echo(frame []byte) []byte {
	be := binary.BigEndian
	p := frame[etherHeaderLen:]
	if len(p) < ipv4HeaderLen || p[0]>>4 != 4 {
		return nil
	}
	ihl := int(p[0]&0x0f) * 4
	total := int(be.Uint16(p[2:]))
	if ihl < ipv4HeaderLen || total < ihl || total > len(p) ||
		checksum(p[:ihl]) != 0 ||
		be.Uint16(p[6:])&0x3fff != 0 || // a fragment: MF or an offset
		p[9] != protoICMP ||
		!bytes.Equal(p[16:20], r.ip[:]) {
		return nil
	}
	m := p[ihl:total]
	if len(m) < icmpHeaderLen || m[0] != icmpEchoRequest || m[1] != 0 || checksum(m) != 0 {
		return nil
	}
	out := make([]byte, etherHeaderLen+ipv4HeaderLen+len(m))
	copy(out[0:6], frame[6:12])
	copy(out[6:12], r.mac[:])
	be.PutUint16(out[12:], etherTypeIPv4)
	ip := out[etherHeaderLen : etherHeaderLen+ipv4HeaderLen]
	ip[0] = 4<<4 | ipv4HeaderLen/4
	ip[1] = p[1]
	be.PutUint16(ip[2:], uint16(ipv4HeaderLen+len(m)))
	copy(ip[4:6], p[4:6])
	ip[8] = replyTTL
	ip[9] = protoICMP
	copy(ip[12:16], r.ip[:])
	copy(ip[16:20], p[12:16])
	be.PutUint16(ip[10:], checksum(ip))
	icmp := out[etherHeaderLen+ipv4HeaderLen:]
	copy(icmp, m)
	icmp[0] = icmpEchoReply
	icmp[2], icmp[3] = 0, 0
	be.PutUint16(icmp[2:], checksum(icmp))
	return out
}

// checksum is the Internet checksum (RFC 1071); over data that carries a
// correct checksum it is 0.
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
