package simtender

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/roostd/roost/platform/solo5"
)

// behaviourMarker starts the behaviour text that solo5test writes at the
// start of an image's load segment.
const behaviourMarker = "roost-sim\n"

// maxBehaviour bounds how much of a load segment is read as behaviour text.
const maxBehaviour = 1 << 20

// image is what the guest needs from the image file besides its notes.
type image struct {
	behaviour string
	loadSize  uint64 // file size of the load segments, for the memory map
}

// readBehaviour returns the behaviour text of the image at path: the bytes
// after a "roost-sim" line at the start of a load segment, up to a NUL or
// the end of the segment. An image without one (a real unikernel) has an
// empty behaviour.
func readBehaviour(path string) (image, error) {
	var img image
	f, err := elf.Open(path)
	if err != nil {
		// The notes parsed, so this is an ELF file that debug/elf
		// cannot read; run it with the default behaviour.
		return img, nil
	}
	defer f.Close()
	found := false
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		img.loadSize += p.Filesz
		if found {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p.Open(), maxBehaviour))
		if err != nil {
			return img, fmt.Errorf("read load segment of %s: %w", path, err)
		}
		text, ok := bytes.CutPrefix(b, []byte(behaviourMarker))
		if !ok {
			continue
		}
		if i := bytes.IndexByte(text, 0); i >= 0 {
			text = text[:i]
		}
		img.behaviour, found = string(text), true
	}
	return img, nil
}

// Solo5's ABI1 note: owner "Solo5", type "ABI1", a descriptor that starts
// with the target and the ABI version (elf_abi.h).
const (
	abiNoteType = 0x31494241
	solo5Note   = "Solo5\x00"
)

// abiNote returns the target and ABI version in the image's ABI1 note. It is
// used only after solo5.ParseNotes has accepted that note but refused the
// manifest, to report the errors in the order the tenders check them.
func abiNote(r io.ReaderAt) (solo5.Target, uint32, bool) {
	f, err := elf.NewFile(r)
	if err != nil {
		return 0, 0, false
	}
	le := binary.LittleEndian
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE || p.Filesz > 1<<16 {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			continue
		}
		// Elf64_Nhdr, the name padded to 4 bytes, then the descriptor.
		if len(b) < 12+8+8 || le.Uint32(b[0:]) != uint32(len(solo5Note)) ||
			le.Uint32(b[8:]) != abiNoteType || string(b[12:18]) != solo5Note {
			continue
		}
		return solo5.Target(le.Uint32(b[20:])), le.Uint32(b[24:]), true
	}
	return 0, 0, false
}
