package solo5test

import (
	"encoding/binary"

	"github.com/roostd/roost/platform/solo5"
)

// BrokenImage is an image that Solo5's tenders would refuse, with the
// sentinel error roost's parser must wrap for it.
type BrokenImage struct {
	Name string
	Data []byte
	Want error
}

// Broken returns one image per way an image can be malformed that roost
// checks for. Names are usable as file names.
func Broken() []BrokenImage {
	le := binary.LittleEndian
	good := Spec{Devices: []solo5.Device{Net("service"), Block("storage")}}
	mut := func(f func(b []byte, l Layout) []byte) []byte {
		b, l := Build(good)
		return f(b, l)
	}
	return []BrokenImage{
		{"empty", nil, solo5.ErrNotELF},
		{"text", []byte("#!/bin/sh\necho hello\n"), solo5.ErrNotELF},
		{"truncated-header", mut(func(b []byte, _ Layout) []byte { return b[:40] }), solo5.ErrMalformed},
		{"elf32", mut(func(b []byte, _ Layout) []byte { b[4] = 1; return b }), solo5.ErrUnsupported},
		{"big-endian", mut(func(b []byte, _ Layout) []byte { b[5] = 2; return b }), solo5.ErrUnsupported},
		{"shared-object", mut(func(b []byte, _ Layout) []byte { le.PutUint16(b[16:], 3); return b }), solo5.ErrUnsupported},
		{"wrong-machine", mut(func(b []byte, _ Layout) []byte { le.PutUint16(b[18:], 3); return b }), solo5.ErrUnsupported},
		{"no-program-headers", mut(func(b []byte, _ Layout) []byte { le.PutUint16(b[56:], 0); return b }), solo5.ErrMalformed},
		{"phdrs-past-eof", mut(func(b []byte, _ Layout) []byte { le.PutUint64(b[32:], 1<<40); return b }), solo5.ErrMalformed},
		{"phoff-overflow", mut(func(b []byte, _ Layout) []byte { le.PutUint64(b[32:], ^uint64(0)-8); return b }), solo5.ErrMalformed},
		{"truncated-in-notes", mut(func(b []byte, l Layout) []byte { return b[:l.MFT+20] }), solo5.ErrMalformed},
		{"note-offset-past-eof", mut(func(b []byte, l Layout) []byte {
			le.PutUint64(b[l.PhOff+1*56+8:], 1<<33)
			return b
		}), solo5.ErrMalformed},
		{"note-too-short", mut(func(b []byte, l Layout) []byte {
			le.PutUint64(b[l.PhOff+1*56+32:], 8)
			return b
		}), solo5.ErrMalformed},
		{"abi-descsz-huge", mut(func(b []byte, l Layout) []byte { le.PutUint32(b[l.ABINote+4:], 1<<31); return b }), solo5.ErrMalformed},
		{"abi-descsz-short", mut(func(b []byte, l Layout) []byte { le.PutUint32(b[l.ABINote+4:], 8); return b }), solo5.ErrMalformed},
		{"mft-descsz-overruns-segment", mut(func(b []byte, l Layout) []byte {
			le.PutUint32(b[l.MFTNote+4:], le.Uint32(b[l.MFTNote+4:])+104)
			return b
		}), solo5.ErrMalformed},
		{"no-abi-note", mut(func(b []byte, l Layout) []byte { le.PutUint32(b[l.ABINote+8:], 0x12345678); return b }), solo5.ErrNoABI},
		{"no-manifest", mut(func(b []byte, l Layout) []byte { copy(b[l.MFTNote+12:], "Solo6"); return b }), solo5.ErrNoManifest},
		{"mft-version", mut(func(b []byte, l Layout) []byte { le.PutUint32(b[l.MFT:], 2); return b }), solo5.ErrManifest},
		{"mft-too-many-entries", mut(func(b []byte, l Layout) []byte { le.PutUint32(b[l.MFT+4:], 65); return b }), solo5.ErrManifest},
		{"mft-entries-mismatch", mut(func(b []byte, l Layout) []byte { le.PutUint32(b[l.MFT+4:], 2); return b }), solo5.ErrManifest},
		{"mft-no-reserved-first", mut(func(b []byte, l Layout) []byte { le.PutUint32(b[l.MFT+8+68:], 2); return b }), solo5.ErrManifest},
		{"mft-unterminated-name", mut(func(b []byte, l Layout) []byte {
			e := l.MFT + 8 + 104
			for i := 0; i < 68; i++ {
				b[e+i] = 'a'
			}
			return b
		}), solo5.ErrManifest},
		{"mft-attached", mut(func(b []byte, l Layout) []byte { b[l.MFT+8+104+96] = 1; return b }), solo5.ErrManifest},
	}
}
