package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/config"
)

// save writes a file the way editors do: a temporary renamed over it.
func save(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// next returns the next change within d, or nil.
func next(w *config.DirWatcher, d time.Duration) []string {
	select {
	case r := <-w.Changed():
		return r
	case <-time.After(d):
		return nil
	}
}

func TestDirWatcher(t *testing.T) {
	dir := t.TempDir()
	images := t.TempDir()
	w, err := config.WatchDir(dir, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// phase: a burst of saves is one change
	for range 10 {
		save(t, filepath.Join(dir, "main.hcl"), "x")
		save(t, filepath.Join(dir, "web.hcl"), "x")
		time.Sleep(2 * time.Millisecond)
	}
	if got, want := next(w, 2*time.Second), []string{"config changed: main.hcl", "config changed: web.hcl"}; !cmp.Equal(got, want) {
		t.Errorf("change of a burst of saves = %q, want %q", got, want)
	}
	if got := next(w, 100*time.Millisecond); got != nil {
		t.Errorf("a second change after a burst: %q", got)
	}

	// phase: editor temporaries and other files are no change
	for _, name := range []string{"main.hcl~", ".#main.hcl", "#main.hcl#", "main.hcl.swp", "4913", "notes.txt"} {
		save(t, filepath.Join(dir, name), "x")
	}
	if got := next(w, 100*time.Millisecond); got != nil {
		t.Errorf("editor temporaries made a change: %q", got)
	}

	// phase: a file outside the directory counts once watched
	image := filepath.Join(images, "web.hvt")
	save(t, image, "1")
	if got := next(w, 100*time.Millisecond); got != nil {
		t.Errorf("an unwatched file made a change: %q", got)
	}
	w.WatchFiles([]string{image})
	save(t, image, "2")
	if got, want := next(w, 2*time.Second), []string{"config changed: " + image}; !cmp.Equal(got, want) {
		t.Errorf("change of a watched image = %q, want %q", got, want)
	}

	// phase: a removed directory is said, then watched again once back
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-w.Errors():
		var we *config.WatchError
		if !errors.As(err, &we) || !errors.Is(err, config.ErrDirGone) || we.Dir != dir {
			t.Errorf("error after removing the directory = %v, want a WatchError of %s wrapping ErrDirGone", err, dir)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no error after removing the directory")
	}
	next(w, 100*time.Millisecond) // the removal of its files
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, want := next(w, 3*time.Second), []string{"configuration directory back"}; !cmp.Equal(got, want) {
		t.Errorf("change once the directory is back = %q, want %q", got, want)
	}
	save(t, filepath.Join(dir, "main.hcl"), "y")
	if got, want := next(w, 2*time.Second), []string{"config changed: main.hcl"}; !cmp.Equal(got, want) {
		t.Errorf("change in the directory back = %q, want %q", got, want)
	}
}
