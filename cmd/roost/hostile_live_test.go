//go:build integration && linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
)

// Hardening (issue 8): the data directory is untrusted input. These tests
// plant what a hostile or careless operator would and check that roost
// neither follows it nor lets a tender reach through it.

// TestLiveBlockSymlinkNotFollowed replaces a running unikernel's block with
// a symbolic link to another file and kills the tender: the shim must not
// start the next tender on the link's target (finding 2).
func TestLiveBlockSymlinkNotFollowed(t *testing.T) {
	h := newLiveHost(t)
	h.image("db.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "block-write storage 0 hostile; tick 1s"})
	h.write("main.hcl", `
block "data" {
  size = 1
}
unikernel "db" {
  image = "db.hvt"
  block "storage" { device = "data" }
  restart {
    policy  = "always"
    backoff = "10ms"
  }
}
`)
	h.must("apply", "-auto-approve")
	st := h.waitStatus("db", "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })

	victim := filepath.Join(t.TempDir(), "victim")
	want := bytes.Repeat([]byte("v"), 4096)
	if err := os.WriteFile(victim, want, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(h.dbdir.Block("data"), filepath.Join(filepath.Dir(victim), "data.moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, h.dbdir.Block("data")); err != nil {
		t.Fatal(err)
	}
	// The tender dies; the shim restarts it on the block's path.
	syscall.Kill(-st.TenderPID, syscall.SIGKILL)
	got := h.waitStatus("db", "the restart refused", func(s datadir.Status) bool { return s.State == datadir.StateFailed })
	if !strings.Contains(got.Message, "block data") || !strings.Contains(got.Message, datadir.ErrSymlink.Error()) {
		t.Errorf("status message = %q, want it to name the block and the link", got.Message)
	}
	time.Sleep(100 * time.Millisecond)
	if b, _ := os.ReadFile(victim); !bytes.Equal(b, want) {
		t.Errorf("the link's target was written: %q...", b[:min(len(b), 16)])
	}
}
