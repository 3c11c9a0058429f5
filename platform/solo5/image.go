package solo5

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/roostd/roost/internal/compress"
	"github.com/roostd/roost/internal/regfile"
)

// Notes are the facts an image's Solo5 ELF notes declare.
type Notes struct {
	Machine    Machine
	Target     Target
	ABIVersion uint32
	// Devices lists the manifest entries in manifest order, without the
	// reserved first entry.
	Devices []Device
}

// Image is a Solo5 unikernel image on disk.
type Image struct {
	Notes
	Path string
	// Size is the size of the image, decompressed.
	Size int64
	// SHA256 is the hex SHA-256 of the whole image, decompressed: the
	// image's identity in the image store and in plans.
	SHA256 string
	// Compression is how the file is compressed (compress.Gzip or
	// compress.Zlib), or compress.None; CompressedSize is then the
	// file's size.
	Compression    compress.Format
	CompressedSize int64
}

// Sentinel errors; ReadImage and ParseNotes wrap them in an *os.PathError
// with Op "parse".
var (
	ErrNotELF      = errors.New("not an ELF file")
	ErrUnsupported = errors.New("unsupported ELF executable")
	ErrMalformed   = errors.New("malformed Solo5 image")
	ErrNoABI       = errors.New("no Solo5 ABI information found in executable")
	ErrNoManifest  = errors.New("no Solo5 manifest found in executable")
	ErrManifest    = errors.New("invalid Solo5 manifest")
)

// Layout constants of Solo5's ELF notes (elf_abi.h, mft_abi.h) on 64-bit
// hosts. They are computed there from C struct layouts; they are spelled out
// here and checked against images built by Solo5 itself.
const (
	elfHeaderSize  = 64
	progHeaderSize = 56
	ptLoad         = 1
	ptNote         = 4
	etExec         = 2

	noteName       = "Solo5\x00"
	solo5NhdrSize  = 12 + 8 // Elf64_Nhdr plus "Solo5\0" padded to 4 bytes
	abiNoteType    = 0x31494241
	mftNoteType    = 0x3154464d
	abiInfoSize    = 16 // struct abi1_info
	abiNoteAlign   = 4
	abiNoteMaxSize = 32

	// MFTVersion is the manifest ABI version Solo5 tenders accept.
	MFTVersion = 1
	// MaxDevices is the most manifest entries a Solo5 image may have,
	// including the reserved first entry.
	MaxDevices     = 64
	mftHeaderSize  = 8   // struct mft: version, entries
	mftEntrySize   = 104 // struct mft_entry
	mftNameSize    = 68  // MFT_NAME_SIZE, terminator included
	mftTypeOffset  = 68
	mftAttachedOff = 96
	mftNoteAlign   = 8
	mftNoteMaxSize = 4 + mftHeaderSize + MaxDevices*mftEntrySize // MFT1_NOTE_MAX_SIZE, padding included
)

// maxPhnum bounds the program header table we are willing to read; real
// images have a handful.
const maxPhnum = 4096

// MaxImageSize bounds the images ReadImage reads: Solo5 unikernels are a
// few MiB, and a larger file is likelier a mistake (or /dev/sda's image)
// than one to hash and copy into the data directory.
const MaxImageSize = 1 << 30

// MaxCompressedPrefix is how much of a compressed image ReadImage keeps
// in memory to find its notes in: Solo5 puts them in the first pages.
const MaxCompressedPrefix = 16 << 20

// ReadImage reads the Solo5 notes and the SHA-256 of the image at path.
// The file is opened without blocking and must be a regular file of at
// most MaxImageSize bytes: anything else is an *os.PathError with Op
// "open" wrapping regfile.ErrNotRegular or regfile.ErrTooLarge. A file
// that is not a valid Solo5 image yields an *os.PathError with Op "parse"
// wrapping one of the sentinel errors above.
//
// A file compressed with gzip or zlib (detected by its content) is read
// decompressed: it too may expand to at most MaxImageSize bytes, and a
// damaged stream is an *os.PathError with Op "decompress" wrapping
// compress.ErrCorrupt or compress.ErrTooLarge.
func ReadImage(path string) (*Image, error) {
	f, fi, err := regfile.Open(path, MaxImageSize)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var head [2]byte
	if n, _ := f.ReadAt(head[:], 0); compress.Detect(head[:n]) != compress.None {
		return readCompressed(path, f, fi.Size())
	}
	notes, err := parseNotes(f, fi.Size())
	if err != nil {
		return nil, &os.PathError{Op: "parse", Path: path, Err: err}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, fi.Size())); err != nil {
		return nil, fmt.Errorf("hash image %s: %w", path, err)
	}
	return &Image{Notes: *notes, Path: path, Size: fi.Size(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// readCompressed reads the compressed image in f: it hashes the whole
// decompressed stream, keeping its first MaxCompressedPrefix bytes to
// parse the notes in.
func readCompressed(path string, f *os.File, size int64) (*Image, error) {
	z, err := compress.NewReader(io.NewSectionReader(f, 0, size), MaxImageSize)
	if err != nil {
		return nil, &os.PathError{Op: "decompress", Path: path, Err: err}
	}
	defer z.Close()
	h := sha256.New()
	prefix := &prefixWriter{max: MaxCompressedPrefix}
	n, err := io.Copy(io.MultiWriter(h, prefix), z)
	if err != nil {
		return nil, &os.PathError{Op: "decompress", Path: path, Err: err}
	}
	notes, err := parseNotes(prefix, n)
	if err != nil {
		return nil, &os.PathError{Op: "parse", Path: path, Err: err}
	}
	return &Image{Notes: *notes, Path: path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)),
		Compression: z.Format, CompressedSize: size}, nil
}

// prefixWriter keeps the first max bytes written to it, and reads them
// back at offsets.
type prefixWriter struct {
	buf []byte
	max int
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if room := p.max - len(p.buf); room > 0 {
		p.buf = append(p.buf, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

func (p *prefixWriter) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > int64(len(p.buf)) {
		if off+int64(len(b)) > int64(p.max) {
			return 0, fmt.Errorf("%w: notes beyond the first %d MiB of a compressed image", ErrMalformed, p.max>>20)
		}
		return 0, io.ErrUnexpectedEOF
	}
	return copy(b, p.buf[off:]), nil
}

// ParseNotes reads the Solo5 notes of the image held in r, which is size
// bytes long; name is used in errors. It checks what Solo5's tenders check
// before they load an image (elf_load_note and mft_validate) and returns an
// error, never a panic, for any malformed input.
func ParseNotes(name string, r io.ReaderAt, size int64) (*Notes, error) {
	n, err := parseNotes(r, size)
	if err != nil {
		return nil, &os.PathError{Op: "parse", Path: name, Err: err}
	}
	return n, nil
}

type progHeader struct {
	typ    uint32
	offset uint64
	filesz uint64
}

func parseNotes(r io.ReaderAt, size int64) (*Notes, error) {
	var eh [elfHeaderSize]byte
	if size < elfHeaderSize {
		if size >= 4 && readMagic(r) {
			return nil, fmt.Errorf("%w: truncated ELF header (%d bytes)", ErrMalformed, size)
		}
		return nil, ErrNotELF
	}
	if _, err := r.ReadAt(eh[:], 0); err != nil {
		return nil, fmt.Errorf("read ELF header: %w", err)
	}
	if string(eh[:4]) != "\x7fELF" {
		return nil, ErrNotELF
	}
	if eh[4] != 2 {
		return nil, fmt.Errorf("%w: ELF class %d, want ELFCLASS64", ErrUnsupported, eh[4])
	}
	if eh[5] != 1 {
		return nil, fmt.Errorf("%w: not little-endian", ErrUnsupported)
	}
	le := binary.LittleEndian
	if v := le.Uint32(eh[20:]); v != 1 {
		return nil, fmt.Errorf("%w: ELF version %d", ErrUnsupported, v)
	}
	if t := le.Uint16(eh[16:]); t != etExec {
		return nil, fmt.Errorf("%w: ELF type %d, want ET_EXEC", ErrUnsupported, t)
	}
	machine := Machine(le.Uint16(eh[18:]))
	switch machine {
	case X86_64, AArch64, PPC64:
	default:
		return nil, fmt.Errorf("%w: ELF machine %d is not one Solo5 supports", ErrUnsupported, uint16(machine))
	}
	if s := le.Uint16(eh[52:]); s != elfHeaderSize {
		return nil, fmt.Errorf("%w: e_ehsize %d", ErrMalformed, s)
	}
	phoff := le.Uint64(eh[32:])
	phentsize := le.Uint16(eh[54:])
	phnum := le.Uint16(eh[56:])
	if phnum < 1 || phentsize != progHeaderSize {
		return nil, fmt.Errorf("%w: program header table (e_phnum %d, e_phentsize %d)", ErrMalformed, phnum, phentsize)
	}
	if phnum > maxPhnum {
		return nil, fmt.Errorf("%w: %d program headers", ErrMalformed, phnum)
	}
	phsize := uint64(phnum) * progHeaderSize
	if !within(phoff, phsize, size) {
		return nil, fmt.Errorf("%w: program header table at %d+%d is outside the file (%d bytes)", ErrMalformed, phoff, phsize, size)
	}
	ph := make([]byte, phsize)
	if _, err := r.ReadAt(ph, int64(phoff)); err != nil {
		return nil, fmt.Errorf("read program headers: %w", err)
	}
	phdrs := make([]progHeader, phnum)
	for i := range phdrs {
		b := ph[i*progHeaderSize:]
		phdrs[i] = progHeader{typ: le.Uint32(b[0:]), offset: le.Uint64(b[8:]), filesz: le.Uint64(b[32:])}
	}

	abi, err := loadNote(r, size, phdrs, abiNoteType, abiNoteAlign, abiNoteMaxSize)
	if err != nil {
		return nil, err
	}
	if abi == nil {
		return nil, ErrNoABI
	}
	if len(abi) < abiInfoSize {
		return nil, fmt.Errorf("%w: ABI note is %d bytes, want %d", ErrMalformed, len(abi), abiInfoSize)
	}
	notes := &Notes{Machine: machine, Target: Target(le.Uint32(abi[0:])), ABIVersion: le.Uint32(abi[4:])}

	mft, err := loadNote(r, size, phdrs, mftNoteType, mftNoteAlign, mftNoteMaxSize)
	if err != nil {
		return nil, err
	}
	if mft == nil {
		return nil, ErrNoManifest
	}
	devs, err := parseManifest(mft)
	if err != nil {
		return nil, err
	}
	notes.Devices = devs
	return notes, nil
}

func readMagic(r io.ReaderAt) bool {
	var m [4]byte
	_, err := r.ReadAt(m[:], 0)
	return err == nil && string(m[:]) == "\x7fELF"
}

// within reports whether [off, off+n) lies inside a file of the given size,
// without overflowing.
func within(off, n uint64, size int64) bool {
	return size >= 0 && off <= uint64(size) && n <= uint64(size)-off
}

// loadNote returns the descriptor of the Solo5 note of type typ, without its
// internal alignment padding, or nil if the image has none. It follows
// Solo5's elf_load_note: a PT_NOTE shorter than an Elf64_Nhdr is an error;
// one shorter than a Solo5 note header, or owned by someone else, is skipped.
func loadNote(r io.ReaderAt, size int64, phdrs []progHeader, typ uint32, align, max uint64) ([]byte, error) {
	le := binary.LittleEndian
	for i, p := range phdrs {
		if p.typ != ptNote {
			continue
		}
		if p.filesz < 12 {
			return nil, fmt.Errorf("%w: phdr[%d] note is %d bytes, shorter than a note header", ErrMalformed, i, p.filesz)
		}
		if p.filesz < solo5NhdrSize {
			continue
		}
		if !within(p.offset, solo5NhdrSize, size) {
			return nil, fmt.Errorf("%w: phdr[%d] note at %d is outside the file (%d bytes)", ErrMalformed, i, p.offset, size)
		}
		var nh [solo5NhdrSize]byte
		if _, err := r.ReadAt(nh[:], int64(p.offset)); err != nil {
			return nil, fmt.Errorf("read phdr[%d] note: %w", i, err)
		}
		namesz, descsz, ntype := le.Uint32(nh[0:]), le.Uint32(nh[4:]), le.Uint32(nh[8:])
		if namesz != uint32(len(noteName)) || string(nh[12:12+len(noteName)]) != noteName || ntype != typ {
			continue
		}
		if descsz < 1 || uint64(descsz) > max {
			return nil, fmt.Errorf("%w: phdr[%d] note descriptor is %d bytes (limit %d)", ErrMalformed, i, descsz, max)
		}
		if p.filesz < solo5NhdrSize+uint64(descsz) {
			return nil, fmt.Errorf("%w: phdr[%d] note descriptor (%d bytes) overruns its segment (%d bytes)", ErrMalformed, i, descsz, p.filesz)
		}
		off := (solo5NhdrSize + align - 1) &^ (align - 1)
		pad := off - solo5NhdrSize
		if uint64(descsz) <= pad {
			return nil, fmt.Errorf("%w: phdr[%d] note descriptor (%d bytes) is shorter than its alignment", ErrMalformed, i, descsz)
		}
		n := uint64(descsz) - pad
		if !within(p.offset+off, n, size) {
			return nil, fmt.Errorf("%w: phdr[%d] note descriptor at %d+%d is outside the file (%d bytes)", ErrMalformed, i, p.offset+off, n, size)
		}
		desc := make([]byte, n)
		if _, err := r.ReadAt(desc, int64(p.offset+off)); err != nil {
			return nil, fmt.Errorf("read phdr[%d] note descriptor: %w", i, err)
		}
		return desc, nil
	}
	return nil, nil
}

// parseManifest checks a manifest as Solo5's mft_validate does and returns
// its devices without the reserved first entry.
func parseManifest(m []byte) ([]Device, error) {
	le := binary.LittleEndian
	if len(m) < mftHeaderSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrManifest, len(m))
	}
	if v := le.Uint32(m[0:]); v != MFTVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrManifest, v, MFTVersion)
	}
	entries := le.Uint32(m[4:])
	if entries > MaxDevices {
		return nil, fmt.Errorf("%w: %d entries, at most %d allowed", ErrManifest, entries, MaxDevices)
	}
	if want := mftHeaderSize + int(entries)*mftEntrySize; len(m) != want {
		return nil, fmt.Errorf("%w: %d bytes for %d entries, want %d", ErrManifest, len(m), entries, want)
	}
	if entries < 1 {
		return nil, fmt.Errorf("%w: no entries (the reserved first entry is missing)", ErrManifest)
	}
	var devs []Device
	for i := 0; i < int(entries); i++ {
		e := m[mftHeaderSize+i*mftEntrySize:][:mftEntrySize]
		if e[mftNameSize-1] != 0 {
			return nil, fmt.Errorf("%w: entry %d: name is not terminated", ErrManifest, i)
		}
		if e[mftAttachedOff] != 0 {
			return nil, fmt.Errorf("%w: entry %d: attached is set", ErrManifest, i)
		}
		name := cstring(e[:mftNameSize])
		typ := DeviceType(le.Uint32(e[mftTypeOffset:]))
		if i == 0 {
			if typ != ReservedFirst || name != "" {
				return nil, fmt.Errorf("%w: entry 0 is not the reserved first entry", ErrManifest)
			}
			continue
		}
		if typ >= ReservedFirst {
			continue
		}
		devs = append(devs, Device{Name: name, Type: typ})
	}
	return devs, nil
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
