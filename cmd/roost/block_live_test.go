//go:build integration && linux

package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
	"golang.org/x/sys/unix"
)

const blockConfig = `
block "data" {
  size = 4
}

unikernel "db" {
  image  = "db.hvt"
  memory = 32
  block "storage" {
    device = "data"
  }
  stop_timeout = "2s"
}
`

func blockSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func allocated(t *testing.T, path string) int64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks) * 512
}

// TestLiveBlockExportImport: export then import round-trips byte for byte
// with holes kept, and both are refused, changing nothing, while the
// unikernel runs (issue 11).
func TestLiveBlockExportImport(t *testing.T) {
	h := newLiveHost(t)
	h.image("db.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "print db up; tick 1s"})
	h.write("main.hcl", blockConfig)
	h.must("apply", "-auto-approve")
	block := h.dbdir.Block("data")

	// phase: refused while db runs
	seed := filepath.Join(h.dir, "seed.img")
	f, err := os.Create(seed)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("head"), 0)
	f.WriteAt([]byte("tail"), 3<<20)
	f.Truncate(4 << 20)
	f.Close()
	before := blockSum(t, block)
	if r := h.roost("block", "export", "data", "-o", "out.img"); r.code != 1 || !strings.Contains(r.stderr, `unikernel "db" runs with it attached`) {
		t.Errorf("export while running: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "out.img")); err == nil {
		t.Errorf("a refused export left out.img")
	}
	if r := h.roost("block", "import", "-allow-data-loss", "data", "seed.img"); r.code != 1 || !strings.Contains(r.stderr, `unikernel "db" runs with it attached`) {
		t.Errorf("import while running: exit %d, %s", r.code, r.stderr)
	}
	if blockSum(t, block) != before {
		t.Errorf("a refused import changed the block")
	}

	// phase: stopped, the round trip
	h.write("main.hcl", "block \"data\" {\n  size = 4\n}\n")
	h.must("apply", "-auto-approve", "-target", "unikernel.db")
	h.must("block", "import", "data", "seed.img")
	if blockSum(t, block) != blockSum(t, seed) {
		t.Errorf("block after import differs from seed.img")
	}
	if a := allocated(t, block); a > 256<<10 {
		t.Errorf("block after import allocates %d bytes: holes lost", a)
	}
	h.must("block", "export", "data", "-o", "out.img")
	out := filepath.Join(h.dir, "out.img")
	if blockSum(t, out) != blockSum(t, seed) {
		t.Errorf("export differs from what was imported")
	}
	if a := allocated(t, out); a > 256<<10 {
		t.Errorf("exported file allocates %d bytes: holes lost", a)
	}
	h.must("block", "import", "-allow-data-loss", "data", "out.img")
	if blockSum(t, block) != blockSum(t, seed) {
		t.Errorf("block after re-import differs")
	}
	if fi, err := os.Stat(block); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 4<<20 {
		t.Errorf("block after import: %v %v", fi, err)
	}
	r := h.must("block", "list", "-json")
	if !strings.Contains(r.stdout, `"attached_to": []`) || !strings.Contains(r.stdout, `"config": "declared"`) {
		t.Errorf("block list -json:\n%s", r.stdout)
	}

	// phase: db runs again on the imported data
	h.write("main.hcl", blockConfig)
	h.must("apply", "-auto-approve")
	h.waitStatus("db", "running", func(st datadir.Status) bool { return st.TenderPID != 0 })
}

// TestLiveCompressedImage: a gzip image runs, a second plan has no
// changes, and a corrupt one is refused with the host unchanged.
func TestLiveCompressedImage(t *testing.T) {
	h := newLiveHost(t)
	h.image("plain.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "print db up; tick 1s"})
	plain, err := os.ReadFile(filepath.Join(h.dir, "plain.hvt"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	h.write("db.hvt", buf.String())
	h.write("main.hcl", blockConfig)
	h.must("apply", "-auto-approve")
	sum := sha256.Sum256(plain)
	stored := h.dbdir.Image(hex.EncodeToString(sum[:]))
	if b, err := os.ReadFile(stored); err != nil || !bytes.Equal(b, plain) {
		t.Fatalf("stored image %s is not the decompressed image: %v", stored, err)
	}
	if code, r := h.detailedPlan(); code != 0 || !strings.Contains(r.stdout, "No changes.") {
		t.Errorf("plan after apply: exit %d, want 0 and No changes", code)
	}
	pid := h.status("db").TenderPID

	// phase: corrupt: refused, nothing changed or left behind
	h.write("db.hvt", buf.String()[:buf.Len()/2])
	if r := h.roost("apply", "-auto-approve"); r.code == 0 || !strings.Contains(r.stderr, "corrupt compressed stream") {
		t.Errorf("apply of a corrupt image: exit %d\n%s", r.code, r.stderr)
	}
	if got := h.status("db").TenderPID; got != pid {
		t.Errorf("db restarted: tender %d -> %d", pid, got)
	}
	entries, _ := os.ReadDir(h.dbdir.ImagesDir())
	if len(entries) != 1 {
		t.Errorf("image store holds %d files, want the one image", len(entries))
	}
}
