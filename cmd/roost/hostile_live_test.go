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
	"github.com/roostd/roost/plan"
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

// TestLiveUnikernelDirSymlink replaces a running unikernel's directory with
// a link to another directory: plan and destroy must say so and change
// nothing, never report the unikernel as absent (finding 3).
func TestLiveUnikernelDirSymlink(t *testing.T) {
	h := newLiveHost(t)
	h.image("hello.hvt", solo5test.Spec{Behaviour: "print hi; tick 1s"})
	h.write("main.hcl", `unikernel "hello" { image = "hello.hvt" }`)
	h.must("apply", "-auto-approve")
	h.waitStatus("hello", "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })

	victim := filepath.Join(t.TempDir(), "victimdir")
	if err := os.Mkdir(victim, 0o700); err != nil {
		t.Fatal(err)
	}
	moved := h.dbdir.Unikernel(".h")
	if err := os.Rename(h.dbdir.Unikernel("hello"), moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, h.dbdir.Unikernel("hello")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Remove(h.dbdir.Unikernel("hello"))
		os.Rename(moved, h.dbdir.Unikernel("hello"))
	})
	for _, args := range [][]string{{"plan"}, {"destroy", "-auto-approve"}, {"apply", "-auto-approve"}} {
		r := h.roost(args...)
		if r.code != 1 || !strings.Contains(r.stderr, "unikernels/hello is a symbolic link, which roost did not make") {
			t.Errorf("roost %v = exit %d\n%s%s\nwant exit 1 naming the linked directory", args, r.code, r.stdout, r.stderr)
		}
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Errorf("roost wrote into the link's target: %v", ents)
	}
	var st datadir.Status
	if err := h.dbdir.ReadJSON(filepath.Join(moved, "status.json"), &st); err != nil || st.State != datadir.StateRunning {
		t.Errorf("the shim's status in its moved directory = %+v, %v; want it still running", st, err)
	}
}

// TestLiveStoredImage removes, then alters, the stored image of a running
// unikernel: plan names it and apply stores it again, and a tender is
// never started from an altered image (finding 7).
func TestLiveStoredImage(t *testing.T) {
	h := newLiveHost(t)
	h.image("hello.hvt", solo5test.Spec{Behaviour: "print hi; tick 1s"})
	h.write("main.hcl", `
unikernel "hello" {
  image = "hello.hvt"
  restart {
    policy  = "always"
    backoff = "10ms"
  }
}
`)
	h.must("apply", "-auto-approve")
	h.waitStatus("hello", "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning })
	spec := h.spec("hello")
	stored := h.dbdir.Image(spec.ImageSHA256)
	good := mustRead(t, stored)

	// phase: missing
	if err := os.Remove(stored); err != nil {
		t.Fatal(err)
	}
	if code, r := h.detailedPlan(); code != 2 || !strings.Contains(r.stdout, "is missing; it is stored again from") {
		t.Errorf("plan with the stored image gone = %d\n%s%s", code, r.stdout, r.stderr)
	}
	h.must("apply", "-auto-approve")
	if got := mustRead(t, stored); !bytes.Equal(got, good) {
		t.Errorf("apply did not store the image again")
	}
	if code, r := h.detailedPlan(); code != 0 {
		t.Errorf("plan after the repair = %d, want no changes\n%s", code, r.stdout)
	}

	// phase: altered; the next restart refuses it
	if err := os.Chmod(stored, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 0xff
	if err := os.WriteFile(stored, bad, 0o400); err != nil {
		t.Fatal(err)
	}
	os.Chmod(stored, 0o400)
	if code, r := h.detailedPlan(); code != 2 || !strings.Contains(r.stdout, "was altered") {
		t.Errorf("plan with the stored image altered = %d\n%s%s", code, r.stdout, r.stderr)
	}
	st := h.status("hello")
	syscall.Kill(-st.TenderPID, syscall.SIGKILL)
	failed := h.waitStatus("hello", "the restart refused", func(s datadir.Status) bool { return s.State == datadir.StateFailed })
	if !strings.Contains(failed.Message, "was altered") {
		t.Errorf("status message = %q, want it to say the image was altered", failed.Message)
	}
	h.must("apply", "-auto-approve")
	if got := mustRead(t, stored); !bytes.Equal(got, good) {
		t.Errorf("apply did not store the altered image again")
	}
}

// TestLiveForeignTapLeftAlone makes a tap with the name roost would give a
// declared net device: plan and apply refuse it as a conflict, and neither
// apply nor destroy touches it (finding 4).
func TestLiveForeignTapLeftAlone(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("main.hcl", `
bridge "service" {}
unikernel "web" {
  image = "web.hvt"
  net "service" {}
}
`)
	tap := plan.TapName("web", "service")
	if out, err := h.ip("tuntap", "add", tap, "mode", "tap"); err != nil {
		t.Fatalf("ip tuntap add: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"plan"}, {"apply", "-auto-approve"}} {
		r := h.roost(args...)
		if r.code != 1 || !strings.Contains(r.stderr, "interface "+tap+", the name of its tap, exists and is a tap with alias \"\", not roost's") {
			t.Errorf("roost %v = exit %d\n%s%s\nwant exit 1 naming the foreign tap", args, r.code, r.stdout, r.stderr)
		}
	}
	h.must("destroy", "-auto-approve")
	out, err := h.ip("-d", "link", "show", tap)
	if err != nil {
		t.Fatalf("the foreign tap is gone: %v\n%s", err, out)
	}
	if strings.Contains(out, "alias") || strings.Contains(out, "master") {
		t.Errorf("the foreign tap was changed:\n%s", out)
	}
}

// TestLiveStaleTempsRemoved plants the temporary files that a SIGKILLed
// apply or shim leaves: the next apply removes them (finding 12).
func TestLiveStaleTempsRemoved(t *testing.T) {
	h := newLiveHost(t)
	h.image("hello.hvt", solo5test.Spec{Behaviour: "print hi; tick 1s"})
	h.write("main.hcl", `unikernel "hello" { image = "hello.hvt" }`)
	h.must("apply", "-auto-approve")
	h.must("destroy", "-auto-approve")
	if err := os.MkdirAll(h.dbdir.Unikernel("u-10"), 0o700); err != nil {
		t.Fatal(err)
	}
	stale := []string{
		filepath.Join(string(h.dbdir), ".applied.json3816547290"),
		filepath.Join(string(h.dbdir), ".tmp-applied.json.1x2y3z"),
		filepath.Join(h.dbdir.Unikernel("u-10"), ".spec.json837261"),
		filepath.Join(h.dbdir.ImagesDir(), ".3f2a5b0c19d8.tmp123"),
	}
	for _, p := range stale {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h.must("apply", "-auto-approve")
	for _, p := range stale {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is still there after an apply", p)
		}
	}
}
