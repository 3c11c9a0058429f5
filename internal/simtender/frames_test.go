package simtender

import "encoding/binary"

// Frames as a host sends them to a unikernel, for the responder's tests.

func arpRequestFrame(srcMAC [6]byte, srcIP, targetIP [4]byte) []byte {
	be := binary.BigEndian
	b := make([]byte, etherHeaderLen+arpLen)
	copy(b[0:6], broadcast[:])
	copy(b[6:12], srcMAC[:])
	be.PutUint16(b[12:], etherTypeARP)
	a := b[etherHeaderLen:]
	be.PutUint16(a[0:], 1)
	be.PutUint16(a[2:], etherTypeIPv4)
	a[4], a[5] = 6, 4
	be.PutUint16(a[6:], arpRequest)
	copy(a[8:14], srcMAC[:])
	copy(a[14:18], srcIP[:])
	copy(a[24:28], targetIP[:])
	return b
}

func echoRequestFrame(dstMAC, srcMAC [6]byte, src, dst [4]byte, seq uint16, payload string) []byte {
	be := binary.BigEndian
	b := make([]byte, etherHeaderLen+ipv4HeaderLen+icmpHeaderLen+len(payload))
	copy(b[0:6], dstMAC[:])
	copy(b[6:12], srcMAC[:])
	be.PutUint16(b[12:], etherTypeIPv4)
	ip := b[etherHeaderLen : etherHeaderLen+ipv4HeaderLen]
	ip[0] = 0x45
	be.PutUint16(ip[2:], uint16(len(b)-etherHeaderLen))
	be.PutUint16(ip[4:], 0x1234)
	be.PutUint16(ip[6:], 0x4000) // DF
	ip[8] = 64
	ip[9] = protoICMP
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	be.PutUint16(ip[10:], checksum(ip))
	m := b[etherHeaderLen+ipv4HeaderLen:]
	m[0] = icmpEchoRequest
	be.PutUint16(m[4:], 0x4242)
	be.PutUint16(m[6:], seq)
	copy(m[8:], payload)
	be.PutUint16(m[2:], checksum(m))
	return b
}
