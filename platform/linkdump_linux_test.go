package platform

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// attr encodes one netlink attribute, padded.
func attr(typ uint16, v []byte) []byte {
	b := make([]byte, nlaAlign(unix.SizeofRtAttr+len(v)))
	binary.NativeEndian.PutUint16(b[0:2], uint16(unix.SizeofRtAttr+len(v)))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	copy(b[unix.SizeofRtAttr:], v)
	return b
}

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func ifinfo(index int32, flags uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(b[4:8], uint32(index))
	binary.NativeEndian.PutUint32(b[8:12], flags)
	return b
}

func TestParseLink(t *testing.T) {
	tap := cat(ifinfo(7, unix.IFF_UP),
		attr(unix.IFLA_IFNAME, []byte("rt0123456789\x00")),
		attr(unix.IFLA_IFALIAS, []byte("roost:web:net0\x00")),
		attr(unix.IFLA_MTU, u32(1500)),
		attr(unix.IFLA_MASTER, u32(2)),
		attr(unix.IFLA_LINKINFO|unix.NLA_F_NESTED, cat(
			attr(unix.IFLA_INFO_KIND, []byte("tun\x00")),
			attr(unix.IFLA_INFO_DATA|unix.NLA_F_NESTED, attr(unix.IFLA_TUN_TYPE, []byte{2})))))
	// A bridge's data holds attribute 3 too; it is no tun type.
	bridge := cat(ifinfo(2, 0),
		attr(unix.IFLA_IFNAME, []byte("br0\x00")),
		attr(unix.IFLA_LINKINFO, cat(
			attr(unix.IFLA_INFO_DATA, attr(unix.IFLA_TUN_TYPE, []byte{2})),
			attr(unix.IFLA_INFO_KIND, []byte("bridge\x00")))))
	for _, tc := range []struct {
		name    string
		m       []byte
		want    link
		wantErr bool
	}{
		{name: "tap", m: tap, want: link{index: 7, master: 2, mtu: 1500, up: true, name: "rt0123456789", alias: "roost:web:net0", kind: "tun", tunType: 2}},
		{name: "bridge-data-first", m: bridge, want: link{index: 2, name: "br0", kind: "bridge"}},
		{name: "tap-data-first", m: cat(ifinfo(9, 0), attr(unix.IFLA_LINKINFO, cat(
			attr(unix.IFLA_INFO_DATA, attr(unix.IFLA_TUN_TYPE, []byte{2})),
			attr(unix.IFLA_INFO_KIND, []byte("tun\x00"))))), want: link{index: 9, kind: "tun", tunType: 2}},
		{name: "tun-type-empty", m: cat(ifinfo(9, 0), attr(unix.IFLA_LINKINFO, cat(
			attr(unix.IFLA_INFO_KIND, []byte("tun\x00")),
			attr(unix.IFLA_INFO_DATA, attr(unix.IFLA_TUN_TYPE, nil))))), want: link{index: 9, kind: "tun"}},
		{name: "tun-data-truncated", m: cat(ifinfo(9, 0), attr(unix.IFLA_LINKINFO, cat(
			attr(unix.IFLA_INFO_KIND, []byte("tun\x00")),
			attr(unix.IFLA_INFO_DATA, []byte{8, 0, 3, 0})))), wantErr: true},
		{name: "short-mtu", m: cat(ifinfo(1, 0), attr(unix.IFLA_MTU, []byte{1, 2})), want: link{index: 1}},
		{name: "no-attributes", m: ifinfo(1, 0), want: link{index: 1}},
		{name: "short", m: ifinfo(1, 0)[:10], wantErr: true},
		{name: "attribute-past-end", m: cat(ifinfo(1, 0), []byte{200, 0, 3, 0, 'x'}), wantErr: true},
		{name: "attribute-shorter-than-header", m: cat(ifinfo(1, 0), []byte{2, 0, 3, 0}), wantErr: true},
		{name: "nested-past-end", m: cat(ifinfo(1, 0), attr(unix.IFLA_LINKINFO, []byte{90, 0, 1, 0})), wantErr: true},
		{name: "trailing-bytes", m: cat(ifinfo(1, 0), attr(unix.IFLA_MTU, u32(9000)), []byte{1, 2}), want: link{index: 1, mtu: 9000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLink(tc.m)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseLink = %+v, %v; want error %v", got, err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("parseLink = %+v, want %+v", got, tc.want)
			}
		})
	}
}
