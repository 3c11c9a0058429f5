package regfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roostd/roost/internal/regfile"
	"golang.org/x/sys/unix"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := write("small", "hello")
	big := write("big", strings.Repeat("x", 100))
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr string
		is      error
	}{
		{"regular", small, "hello", "", nil},
		{"too-large", big, "", "open " + big + ": larger than the limit of 64 bytes (100 bytes)", regfile.ErrTooLarge},
		{"fifo", fifo, "", "open " + fifo + ": not a regular file (a named pipe)", regfile.ErrNotRegular},
		{"dev-zero-link", link, "", "open " + link + ": not a regular file (a character device)", regfile.ErrNotRegular},
		{"directory", dir, "", "open " + dir + ": not a regular file (a directory)", regfile.ErrNotRegular},
		{"missing", filepath.Join(dir, "nope"), "", "open " + filepath.Join(dir, "nope") + ": no such file or directory", os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var got []byte
			var err error
			go func() { got, err = regfile.ReadFile(tt.path, 64); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("ReadFile(%s) blocks", tt.path)
			}
			if tt.wantErr == "" {
				if err != nil || string(got) != tt.want {
					t.Errorf("ReadFile(%s) = %q, %v; want %q, nil", tt.name, got, err, tt.want)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, tt.is) {
				t.Errorf("ReadFile(%s) error = %v, want %q (matching %v)", tt.name, err, tt.wantErr, tt.is)
			}
		})
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{16 << 20: "16 MiB", 1 << 30: "1 GiB", 64: "64 bytes", 4096: "4 KiB", 1<<20 + 1: "1048577 bytes"} {
		if got := regfile.Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
