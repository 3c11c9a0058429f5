//go:build unix

package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRename(t *testing.T) {
	d := Dir(t.TempDir())
	if err := d.Init(); err != nil {
		t.Fatal(err)
	}
	write := func(name string) {
		if err := os.WriteFile(d.Block(name), []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a")
	write("b")
	if err := os.Symlink(d.Block("a"), d.Block("link")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(d.Block("a"))
	tests := []struct {
		name     string
		from, to string
		want     error
	}{
		{"existing target", d.Block("a"), d.Block("b"), ErrExists},
		{"link", d.Block("link"), d.Block("c"), ErrSymlink},
		{"outside", d.Block("a"), filepath.Join(filepath.Dir(string(d)), "x"), ErrOutside},
		{"renamed", d.Block("a"), d.Block("c"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := d.Rename(tt.from, tt.to); !errors.Is(err, tt.want) {
				t.Fatalf("Rename(%s, %s) = %v, want %v", tt.from, tt.to, err, tt.want)
			}
		})
	}
	after, err := os.Stat(d.Block("c"))
	if err != nil || !os.SameFile(before, after) {
		t.Errorf("block/c after the rename: %v, same file as block/a: %t", err, err == nil && os.SameFile(before, after))
	}
	if b, _ := os.ReadFile(d.Block("b")); string(b) != "b" {
		t.Errorf("block/b = %q after a refused rename onto it, want %q", b, "b")
	}
}
