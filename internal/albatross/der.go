package albatross

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every DecodeError about the encoding itself;
// ErrUnsupported by one about a state version this package does not read.
var (
	ErrMalformed   = errors.New("malformed albatross state")
	ErrUnsupported = errors.New("unsupported albatross state version")
)

// DecodeError is a decoding failure at byte Offset of the dump.
type DecodeError struct {
	Offset int
	Msg    string
	Err    error // ErrMalformed or ErrUnsupported
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("albatross state: at byte %d: %s", e.Offset, e.Msg)
}

func (e *DecodeError) Unwrap() error { return e.Err }

func malformed(off int, format string, args ...any) error {
	return &DecodeError{Offset: off, Msg: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

// DER tags used by albatross's grammar.
const (
	tagBool     = 0x01
	tagInt      = 0x02
	tagOctets   = 0x04
	tagNull     = 0x05
	tagUTF8     = 0x0c
	tagSequence = 0x30
	tagSet      = 0x31
	tagContext  = 0xa0 // constructed, context-specific: [n] is 0xa0|n
)

// elem is one DER element: its tag, the offset of its tag byte, and its
// contents as a reader.
type elem struct {
	tag  byte
	off  int
	body reader
}

// reader reads DER elements from b, whose first byte is at offset base of
// the dump.
type reader struct {
	b    []byte
	base int
}

func (r *reader) empty() bool { return len(r.b) == 0 }

func (r *reader) off() int { return r.base }

// peek returns the tag of the next element, or 0 at the end.
func (r *reader) peek() byte {
	if len(r.b) == 0 {
		return 0
	}
	return r.b[0]
}

func (r *reader) next() (elem, error) {
	start := r.base
	if len(r.b) < 2 {
		return elem{}, malformed(start, "truncated element")
	}
	tag := r.b[0]
	if tag&0x1f == 0x1f {
		return elem{}, malformed(start, "multi-byte tag 0x%02x", tag)
	}
	l := int(r.b[1])
	hdr := 2
	switch {
	case l == 0x80:
		return elem{}, malformed(start+1, "indefinite length")
	case l > 0x80:
		n := l & 0x7f
		if n > 4 {
			return elem{}, malformed(start+1, "length of %d bytes", n)
		}
		if len(r.b) < 2+n {
			return elem{}, malformed(start+1, "truncated length")
		}
		l = 0
		for _, c := range r.b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		hdr += n
	}
	if l > len(r.b)-hdr {
		return elem{}, malformed(start+1, "length %d past the end (%d bytes left)", l, len(r.b)-hdr)
	}
	e := elem{tag: tag, off: start, body: reader{b: r.b[hdr : hdr+l], base: start + hdr}}
	r.b = r.b[hdr+l:]
	r.base += hdr + l
	return e, nil
}

// expect reads the next element and checks its tag.
func (r *reader) expect(what string, tags ...byte) (elem, error) {
	e, err := r.next()
	if err != nil {
		return e, err
	}
	for _, t := range tags {
		if e.tag == t {
			return e, nil
		}
	}
	return e, malformed(e.off, "%s: tag 0x%02x, want 0x%02x", what, e.tag, tags[0])
}

// done checks that nothing is left after the last element.
func (r *reader) done(what string) error {
	if !r.empty() {
		return malformed(r.base, "trailing bytes in %s", what)
	}
	return nil
}

// explicit reads [n] and returns the reader on its single content element.
func (r *reader) explicit(what string, n byte) (reader, error) {
	e, err := r.expect(what, tagContext|n)
	if err != nil {
		return reader{}, err
	}
	return e.body, nil
}

func (r *reader) integer(what string) (int, error) {
	e, err := r.expect(what, tagInt)
	if err != nil {
		return 0, err
	}
	b := e.body.b
	if len(b) == 0 || len(b) > 8 {
		return 0, malformed(e.off, "%s: integer of %d bytes", what, len(b))
	}
	v := int64(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int64(c)
	}
	if int64(int(v)) != v {
		return 0, malformed(e.off, "%s: integer %d out of range", what, v)
	}
	return int(v), nil
}

func (r *reader) boolean(what string) (bool, error) {
	e, err := r.expect(what, tagBool)
	if err != nil {
		return false, err
	}
	if len(e.body.b) != 1 {
		return false, malformed(e.off, "%s: boolean of %d bytes", what, len(e.body.b))
	}
	return e.body.b[0] != 0, nil
}

func (r *reader) null(what string) error {
	e, err := r.expect(what, tagNull)
	if err != nil {
		return err
	}
	if !e.body.empty() {
		return malformed(e.off, "%s: null with contents", what)
	}
	return nil
}

func (r *reader) utf8(what string) (string, error) {
	e, err := r.expect(what, tagUTF8)
	if err != nil {
		return "", err
	}
	return string(e.body.b), nil
}

func (r *reader) octets(what string) ([]byte, error) {
	e, err := r.expect(what, tagOctets)
	if err != nil {
		return nil, err
	}
	return e.body.b, nil
}

// list reads a SEQUENCE OF or SET OF (albatross used both over its
// versions) and calls f on a reader for each element's encoding.
func (r *reader) list(what string, f func(item *reader) error) error {
	e, err := r.expect(what, tagSequence, tagSet)
	if err != nil {
		return err
	}
	for !e.body.empty() {
		if err := f(&e.body); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) strings(what string) ([]string, error) {
	out := []string{}
	err := r.list(what, func(it *reader) error {
		s, err := it.utf8(what)
		out = append(out, s)
		return err
	})
	return out, err
}

func (r *reader) ints(what string) ([]int, error) {
	out := []int{}
	err := r.list(what, func(it *reader) error {
		n, err := it.integer(what)
		out = append(out, n)
		return err
	})
	return out, err
}
