package compress

import (
	"bufio"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

	"github.com/roostd/roost/internal/regfile"
)

// Format is how a stream is compressed.
type Format string

// The formats Detect knows; None is a plain stream.
const (
	None Format = ""
	Gzip Format = "gzip"
	Zlib Format = "zlib"
)

// ErrCorrupt means a stream that starts as gzip or zlib does not
// decompress.
var ErrCorrupt = errors.New("corrupt compressed stream")

// ErrTooLarge means a stream is, or decompresses to, more than its limit.
var ErrTooLarge = errors.New("larger than the limit")

// TooLargeError is the error of a stream longer than Limit bytes (after
// decompression, when compressed). It matches ErrTooLarge.
type TooLargeError struct {
	Format Format
	Limit  int64
}

func (e *TooLargeError) Error() string {
	if e.Format != None {
		return fmt.Sprintf("%s stream expands to more than %s", e.Format, regfile.Size(e.Limit))
	}
	return fmt.Sprintf("more than %s", regfile.Size(e.Limit))
}

// Is makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Detect returns the format whose header head (at least the stream's
// first two bytes) starts with: gzip's magic 1f 8b (RFC 1952), or a zlib
// header (RFC 1950: compression method 8, a window of at most 32 KiB, and
// CMF*256+FLG a multiple of 31). An ELF file (7f 45) or an all-zero
// block is neither.
func Detect(head []byte) Format {
	if len(head) < 2 {
		return None
	}
	cmf, flg := head[0], head[1]
	switch {
	case cmf == 0x1f && flg == 0x8b:
		return Gzip
	case cmf&0x0f == 8 && cmf>>4 <= 7 && (uint16(cmf)<<8|uint16(flg))%31 == 0 && flg&0x20 == 0:
		// FDICT (0x20) needs a preset dictionary nobody ships with an
		// image: such a header is taken as plain data.
		return Zlib
	}
	return None
}

// Reader is a decompressed (or plain) stream of at most a limit of bytes.
type Reader struct {
	// Format is the compression detected.
	Format Format
	r      io.Reader
	close  func() error
	limit  int64
	n      int64 // bytes returned so far
}

// NewReader detects how r is compressed and returns a reader of its
// decompressed bytes that fails with a *TooLargeError once they exceed
// limit, and with an error wrapping ErrCorrupt when a compressed stream
// is damaged or truncated. A plain stream is passed through, with the
// same limit.
func NewReader(r io.Reader, limit int64) (*Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	z := &Reader{Format: Detect(head), r: br, close: func() error { return nil }, limit: limit}
	switch z.Format {
	case Gzip:
		gr, err := gzip.NewReader(br)
		if err != nil {
			return nil, corrupt(Gzip, err)
		}
		z.r, z.close = gr, gr.Close
	case Zlib:
		zr, err := zlib.NewReader(br)
		if err != nil {
			return nil, corrupt(Zlib, err)
		}
		z.r, z.close = zr, zr.Close
	}
	return z, nil
}

func corrupt(f Format, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = errors.New("truncated")
	}
	return fmt.Errorf("%w (%s): %w", ErrCorrupt, f, err)
}

// Read reads decompressed bytes.
func (z *Reader) Read(p []byte) (int, error) {
	if z.n > z.limit {
		return 0, &TooLargeError{Format: z.Format, Limit: z.limit}
	}
	// One byte past the limit tells a stream of exactly limit bytes from
	// a longer one.
	if rest := z.limit + 1 - z.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := z.r.Read(p)
	z.n += int64(n)
	if z.n > z.limit {
		return n, &TooLargeError{Format: z.Format, Limit: z.limit}
	}
	if err != nil && !errors.Is(err, io.EOF) && z.Format != None {
		err = corrupt(z.Format, err)
	}
	return n, err
}

// Close releases the decompressor; it does not close the underlying
// reader.
func (z *Reader) Close() error { return z.close() }
