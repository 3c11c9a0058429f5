package shim

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/platform/datadir"
)

// TestProbeLockPlanted plants a named pipe, and then a directory, as
// shim.lock: probing it says no shim holds it, or refuses it, at once,
// and never waits for a writer (a plan would hang on it, deaf to
// SIGTERM).
func TestProbeLockPlanted(t *testing.T) {
	d := datadir.Dir(filepath.Join(t.TempDir(), "db"))
	if err := d.Init(); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(d.Unikernel("web"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, plant := range []struct {
		kind string
		make func(path string) error
	}{
		{"named pipe", func(p string) error { return unix.Mkfifo(p, 0o600) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }},
	} {
		os.Remove(d.ShimLock("web"))
		if err := plant.make(d.ShimLock("web")); err != nil {
			t.Fatal(err)
		}
		u, err := d.OpenUnikernel("web")
		if err != nil {
			t.Fatal(err)
		}
		for name, probe := range map[string]func() (bool, int, error){
			"AliveIn": func() (bool, int, error) { return AliveIn(u) },
			"Alive":   func() (bool, int, error) { return Alive(d, "web") },
		} {
			type result struct {
				alive bool
				err   error
			}
			done := make(chan result, 1)
			go func() { alive, _, err := probe(); done <- result{alive, err} }()
			select {
			case r := <-done:
				if r.alive {
					t.Errorf("%s with a %s as shim.lock = alive, want not", name, plant.kind)
				}
				// Not held, or refused as not a lock file; never held.
				if r.err != nil && !errors.Is(r.err, regfile.ErrNotRegular) && !errors.Is(r.err, unix.EISDIR) {
					t.Errorf("%s with a %s as shim.lock = %v", name, plant.kind, r.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s with a %s as shim.lock still waits after 5 s", name, plant.kind)
			}
		}
		u.Close()
	}
}
