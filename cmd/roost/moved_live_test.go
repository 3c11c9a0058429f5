//go:build integration && linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
)

// inode is the device and inode of path.
func inode(t *testing.T, path string) [2]uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return [2]uint64{uint64(st.Dev), st.Ino}
}

// TestLiveMoved renames a block with data and then the unikernel that
// runs on it with moved blocks (issue 11, item 1): the block keeps every
// byte and its inode, the unikernel runs on it again and reads its data,
// and the renamed unikernel keeps its block.
func TestLiveMoved(t *testing.T) {
	h := newLiveHost(t)
	h.image("db.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "block-read storage 0 11; tick 1s"})
	cfg := func(block, unikernel, moved string) string {
		return fmt.Sprintf(`
block %q {
  size = 4
}
unikernel %q {
  image = "db.hvt"
  stop_timeout = "2s"
  block "storage" { device = %q }
}
%s`, block, unikernel, block, moved)
	}
	h.write("main.hcl", cfg("data", "db", ""))
	h.must("apply", "-auto-approve")
	f, err := os.OpenFile(h.dbdir.Block("data"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("hello world"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("the end"), 4<<20-7); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before := mustRead(t, h.dbdir.Block("data"))
	ino := inode(t, h.dbdir.Block("data"))

	// phase: block data -> disk: renamed in place; the unikernel is
	// updated in place, and keeps running on it.
	h.write("main.hcl", cfg("disk", "db", "moved {\n  from = block.data\n  to = block.disk\n}\n"))
	if got := fmt.Sprint(actions(h.planJSON())); got != "[move block.disk update unikernel.db]" {
		t.Fatalf("plan of a block move = %s, want [move block.disk update unikernel.db]", got)
	}
	h.must("apply", "-auto-approve")
	if _, err := os.Lstat(h.dbdir.Block("data")); !os.IsNotExist(err) {
		t.Errorf("block/data after the move: %v, want it gone", err)
	}
	if got := inode(t, h.dbdir.Block("disk")); got != ino {
		t.Errorf("block/disk is inode %v, block/data was %v: copied, not renamed", got, ino)
	}
	if got := mustRead(t, h.dbdir.Block("disk")); !bytes.Equal(got, before) {
		t.Errorf("block/disk differs from block/data before the move")
	}
	if spec := h.spec("db"); len(spec.Blocks) != 1 || spec.Blocks[0].Block != "disk" || spec.Blocks[0].Path != h.dbdir.Block("disk") {
		t.Errorf("spec.json blocks after the move = %+v, want block disk at %s", spec.Blocks, h.dbdir.Block("disk"))
	}
	if code, r := h.detailedPlan(); code != 0 {
		t.Errorf("plan after the block move: exit %d, want 0 (no changes)\n%s", code, r.stdout)
	}

	// phase: the unikernel is restarted (-replace): it opens the block
	// under its new name and reads the data.
	h.must("apply", "-auto-approve", "-replace", "db")
	h.waitStatus("db", "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })
	time.Sleep(50 * time.Millisecond)
	if logs := h.must("logs", "-n", "1", "db").stdout; !strings.Contains(logs, `"hello world"`) {
		t.Errorf("the unikernel on the moved block did not read its data: %q", logs)
	}

	// phase: unikernel db -> app: stopped, its directory renamed, started
	// under the new name on the same block.
	h.write("main.hcl", cfg("disk", "app", "moved {\n  from = block.data\n  to = block.disk\n}\nmoved {\n  from = unikernel.db\n  to = unikernel.app\n}\n"))
	if got := fmt.Sprint(actions(h.planJSON())); got != "[replace unikernel.app]" {
		t.Fatalf("plan of a unikernel move = %s, want [replace unikernel.app]", got)
	}
	h.must("apply", "-auto-approve")
	if _, err := os.Lstat(h.dbdir.Unikernel("db")); !os.IsNotExist(err) {
		t.Errorf("unikernels/db after the move: %v, want it gone", err)
	}
	h.waitStatus("app", "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })
	time.Sleep(50 * time.Millisecond)
	if logs := h.must("logs", "-n", "1", "app").stdout; !strings.Contains(logs, `"hello world"`) {
		t.Errorf("the moved unikernel did not read its block: %q", logs)
	}
	if got := inode(t, h.dbdir.Block("disk")); got != ino {
		t.Errorf("block/disk changed inode across the unikernel move")
	}
	if got := mustRead(t, h.dbdir.Block("disk")); !bytes.Equal(got, before) {
		t.Errorf("block/disk changed across the unikernel move")
	}
	if code, r := h.detailedPlan(); code != 0 {
		t.Errorf("plan after the unikernel move: exit %d, want 0 (no changes)\n%s", code, r.stdout)
	}
}
