package solo5test

import (
	"encoding/binary"
	"os"
	"path/filepath"

	"github.com/roostd/roost/platform/solo5"
)

// Spec describes a synthetic image.
type Spec struct {
	Target     solo5.Target  // default solo5.HVT
	ABIVersion uint32        // default 2, as Solo5 0.9
	Machine    solo5.Machine // default solo5.X86_64
	Devices    []solo5.Device
	// Behaviour is what the simulated tender does when it runs the image,
	// in its directive syntax (see internal/simtender); it is stored in the
	// load segment after the line "roost-sim". Two images that differ only
	// in Behaviour have different digests.
	Behaviour string
}

// Layout gives the file offsets of the parts of a built image, so that tests
// can corrupt them.
type Layout struct {
	PhOff   int // program header table
	ABINote int // the ABI1 note header
	MFTNote int // the MFT1 note header
	MFT     int // struct mft (after the note header and its padding)
	Load    int // the load segment
}

const (
	ehSize   = 64
	phSize   = 56
	loadOff  = 0x1000
	loadAddr = 0x100000
	nhdr     = 20
	entSize  = 104
)

// Build returns the bytes of the image s describes and where its parts are.
func Build(s Spec) ([]byte, Layout) {
	if s.Target == 0 {
		s.Target = solo5.HVT
	}
	if s.ABIVersion == 0 {
		s.ABIVersion = 2
	}
	if s.Machine == 0 {
		s.Machine = solo5.X86_64
	}
	le := binary.LittleEndian
	var l Layout
	l.PhOff = ehSize
	l.ABINote = l.PhOff + 3*phSize
	abiDesc := 16
	l.MFTNote = align(l.ABINote+nhdr+abiDesc, 8)
	l.MFT = l.MFTNote + 24
	entries := 1 + len(s.Devices)
	mftSize := 8 + entries*entSize
	end := l.MFT + mftSize
	l.Load = align(end, loadOff)
	payload := []byte("roost-sim\n" + s.Behaviour + "\n")
	b := make([]byte, l.Load+len(payload))

	// Elf64_Ehdr.
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = 2, 1, 1 // ELFCLASS64, ELFDATA2LSB, EV_CURRENT
	b[7] = 0xff                // ELFOSABI_STANDALONE, as Solo5's linker scripts produce
	le.PutUint16(b[16:], 2)    // ET_EXEC
	le.PutUint16(b[18:], uint16(s.Machine))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], loadAddr) // e_entry
	le.PutUint64(b[32:], uint64(l.PhOff))
	le.PutUint16(b[52:], ehSize)
	le.PutUint16(b[54:], phSize)
	le.PutUint16(b[56:], 3)
	le.PutUint16(b[58:], 64) // e_shentsize; no section headers

	phdr := func(i int, typ, flags uint32, off, vaddr, filesz, memsz, align uint64) {
		p := b[l.PhOff+i*phSize:]
		le.PutUint32(p[0:], typ)
		le.PutUint32(p[4:], flags)
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], vaddr)
		le.PutUint64(p[24:], vaddr)
		le.PutUint64(p[32:], filesz)
		le.PutUint64(p[40:], memsz)
		le.PutUint64(p[48:], align)
	}
	phdr(0, 1, 5, loadOff, loadAddr, uint64(len(payload)), uint64(align(len(payload), loadOff)), loadOff)
	phdr(1, 4, 4, uint64(l.ABINote), 0, uint64(nhdr+abiDesc), uint64(nhdr+abiDesc), 4)
	phdr(2, 4, 4, uint64(l.MFTNote), 0, uint64(24+mftSize), uint64(24+mftSize), 8)

	note := func(off int, descsz, typ uint32) {
		le.PutUint32(b[off:], 6)
		le.PutUint32(b[off+4:], descsz)
		le.PutUint32(b[off+8:], typ)
		copy(b[off+12:], "Solo5\x00")
	}
	note(l.ABINote, uint32(abiDesc), 0x31494241)
	le.PutUint32(b[l.ABINote+nhdr:], uint32(s.Target))
	le.PutUint32(b[l.ABINote+nhdr+4:], s.ABIVersion)

	note(l.MFTNote, uint32(4+mftSize), 0x3154464d)
	le.PutUint32(b[l.MFT:], 1)
	le.PutUint32(b[l.MFT+4:], uint32(entries))
	e0 := l.MFT + 8
	le.PutUint32(b[e0+68:], uint32(solo5.ReservedFirst))
	for i, d := range s.Devices {
		e := e0 + (i+1)*entSize
		copy(b[e:e+67], d.Name)
		le.PutUint32(b[e+68:], uint32(d.Type))
	}
	copy(b[l.Load:], payload)
	return b, l
}

// Write writes the image s describes to path, mode 0644, creating its
// directory if needed.
func Write(path string, s Spec) error {
	b, _ := Build(s)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Net and Block make manifest entries.
func Net(name string) solo5.Device   { return solo5.Device{Name: name, Type: solo5.NetBasic} }
func Block(name string) solo5.Device { return solo5.Device{Name: name, Type: solo5.BlockBasic} }

func align(n, a int) int { return (n + a - 1) &^ (a - 1) }
