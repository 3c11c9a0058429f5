package compress

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"testing"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zl(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want Format
	}{
		{"empty", nil, None},
		{"elf", []byte("\x7fELF"), None},
		{"zeros", make([]byte, 4), None},
		{"gzip", gz([]byte("x")), Gzip},
		{"zlib", zl([]byte("x")), Zlib},
		{"zlib-best", []byte{0x78, 0xda}, Zlib},
		{"zlib-fdict", []byte{0x78, 0xbb}, None},
		{"zlib-fast", []byte("x^"), Zlib},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.head); got != tt.want {
				t.Errorf("Detect(% x) = %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}

func TestNewReader(t *testing.T) {
	data := bytes.Repeat([]byte("roost"), 1000)
	tests := []struct {
		name    string
		in      []byte
		limit   int64
		format  Format
		wantErr error
	}{
		{"plain", data, 5000, None, nil},
		{"plain-too-large", data, 4999, None, ErrTooLarge},
		{"gzip", gz(data), 5000, Gzip, nil},
		{"gzip-too-large", gz(data), 4999, Gzip, ErrTooLarge},
		{"zlib", zl(data), 5000, Zlib, nil},
		{"zlib-too-large", zl(data), 100, Zlib, ErrTooLarge},
		{"gzip-truncated", gz(data)[:20], 5000, Gzip, ErrCorrupt},
		{"zlib-truncated", zl(data)[:10], 5000, Zlib, ErrCorrupt},
		{"gzip-bad-header", []byte{0x1f, 0x8b, 0, 0}, 5000, Gzip, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, err := NewReader(bytes.NewReader(tt.in), tt.limit)
			var got []byte
			if err == nil {
				if z.Format != tt.format {
					t.Errorf("Format = %q, want %q", z.Format, tt.format)
				}
				got, err = io.ReadAll(z)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("read = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, data) {
				t.Errorf("read %d bytes, want the %d written", len(got), len(data))
			}
		})
	}
}
