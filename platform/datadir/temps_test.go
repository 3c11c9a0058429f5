package datadir

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRemoveTemps checks that the temporaries killed writers leave are
// removed, and nothing else (hardening finding 12).
func TestRemoveTemps(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "db"))
	if err := d.Init(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"dead", "live"} {
		if err := os.Mkdir(d.Unikernel(n), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	stale := []string{
		filepath.Join(string(d), ".tmp-applied.json.k3j2"),
		filepath.Join(string(d), ".applied.json1234567"),
		filepath.Join(d.BlockDir(), ".data.tmp42"),
		filepath.Join(d.ImagesDir(), ".3f2a5b0c19d8.tmp99"),
		filepath.Join(d.Unikernel("dead"), ".tmp-status.json.x"),
		filepath.Join(d.Unikernel("dead"), ".spec.json8642"),
	}
	kept := []string{
		filepath.Join(string(d), "applied.json"),
		filepath.Join(string(d), ".someone-elses"),
		filepath.Join(d.BlockDir(), "data"),
		filepath.Join(d.Unikernel("dead"), "status.json"),
		filepath.Join(d.Unikernel("live"), ".tmp-status.json.y"), // its shim writes it
	}
	for _, p := range append(slices.Clone(stale), kept...) {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(d.BlockDir(), ".link.tmp1")
	if err := os.Symlink("/etc/passwd", link); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, link)
	removed, err := d.RemoveTemps(func(name string) bool { return name == "live" })
	if err != nil {
		t.Fatalf("RemoveTemps = %v", err)
	}
	slices.Sort(removed)
	slices.Sort(stale)
	if !slices.Equal(removed, stale) {
		t.Errorf("RemoveTemps removed %q, want %q", removed, stale)
	}
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: %v, want it kept", p, err)
		}
	}
}
