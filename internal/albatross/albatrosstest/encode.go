package albatrosstest

import (
	"github.com/roostd/roost/internal/albatross"
)

func tlv(tag byte, body ...[]byte) []byte {
	var b []byte
	for _, x := range body {
		b = append(b, x...)
	}
	n := len(b)
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 1<<8:
		out = append(out, 0x81, byte(n))
	case n < 1<<16:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, b...)
}

func integer(v int) []byte {
	var b []byte
	x := int64(v)
	for {
		b = append([]byte{byte(x)}, b...)
		if (x >= -128 && x < 128) || len(b) == 8 {
			break
		}
		x >>= 8
	}
	return tlv(0x02, b)
}

func utf8(s string) []byte { return tlv(0x0c, []byte(s)) }

func boolean(v bool) []byte {
	if v {
		return tlv(0x01, []byte{0xff})
	}
	return tlv(0x01, []byte{0})
}

func null() []byte { return []byte{0x05, 0x00} }

func explicit(n byte, body ...[]byte) []byte { return tlv(0xa0|n, body...) }

func seq(body ...[]byte) []byte { return tlv(0x30, body...) }

func set(body ...[]byte) []byte { return tlv(0x31, body...) }

func config(u albatross.Unikernel) []byte {
	var f [][]byte
	if u.Typ == "bhyve" {
		f = append(f, explicit(1, null()))
	} else {
		f = append(f, explicit(0, null()))
	}
	f = append(f, boolean(u.Compressed), tlv(0x04, u.Image))
	if u.Startup != nil {
		f = append(f, integer(*u.Startup))
	}
	f = append(f, boolean(u.AddName))
	if u.Fail.Restart {
		var codes [][]byte
		for _, c := range u.Fail.ExitCodes {
			codes = append(codes, integer(c))
		}
		f = append(f, explicit(1, set(codes...)))
	} else {
		f = append(f, explicit(0, null()))
	}
	var cpus [][]byte
	for _, c := range u.CPUIDs {
		cpus = append(cpus, integer(c))
	}
	f = append(f, set(cpus...), integer(u.Memory))
	if len(u.Blocks) > 0 {
		var bs [][]byte
		for _, b := range u.Blocks {
			e := [][]byte{utf8(b.Name)}
			if b.Device != "" {
				e = append(e, utf8(b.Device))
			}
			if b.SectorSize != nil {
				e = append(e, integer(*b.SectorSize))
			}
			bs = append(bs, seq(e...))
		}
		f = append(f, explicit(0, set(bs...)))
	}
	if len(u.Bridges) > 0 {
		var bs [][]byte
		for _, b := range u.Bridges {
			e := [][]byte{utf8(b.Name)}
			if b.Bridge != "" {
				e = append(e, utf8(b.Bridge))
			}
			if b.MAC != nil {
				e = append(e, tlv(0x04, b.MAC))
			}
			bs = append(bs, seq(e...))
		}
		f = append(f, explicit(1, set(bs...)))
	}
	if u.Argv != nil {
		var as [][]byte
		for _, a := range u.Argv {
			as = append(as, utf8(a))
		}
		f = append(f, explicit(2, seq(as...)))
	}
	if u.NumCPUs != 0 {
		f = append(f, explicit(3, integer(u.NumCPUs)))
	}
	if u.LinuxBootPartition != "" {
		f = append(f, explicit(4, utf8(u.LinuxBootPartition)))
	}
	return seq(f...)
}

// Encode returns the state dump of unis (names written in albatross's wire
// 5 form, foo:hello) and no policies.
func Encode(unis []albatross.Unikernel) []byte {
	var entries [][]byte
	for _, u := range unis {
		entries = append(entries, seq(utf8(u.Name.String()), config(u)))
	}
	return explicit(6, seq(seq(entries...), seq()))
}
