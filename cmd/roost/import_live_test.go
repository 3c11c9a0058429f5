//go:build integration && linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/roostd/roost/internal/albatross"
	"github.com/roostd/roost/platform/datadir"
)

// TestLiveImportAlbatross: an albatross-style dbdir (albatrossHost) is
// imported, applied with the simulated tender in a network namespace
// that has albatross's bridge, and every unikernel runs with the memory,
// CPUs and MACs albatross had, on a block byte-identical to albatross's.
func TestLiveImportAlbatross(t *testing.T) {
	h := newLiveHost(t)
	alb, blocks := albatrossHost(t, "print up; tick 1s")
	if out, err := h.ip("link", "add", "br0", "type", "bridge"); err != nil {
		t.Fatalf("ip link add br0: %v: %s", err, out)
	}
	conf := filepath.Join(h.dir, "conf")
	r := h.must("import", "albatross", "-from", alb, "-o", conf, "-albatross-tmpdir", filepath.Join(h.dir, "run"))
	if !strings.Contains(r.stdout, "Copied (SHA-256 verified) 1 of 1 blocks") {
		t.Errorf("import output:\n%s", r.stdout)
	}
	h.must("validate", conf)
	h.must("apply", "-auto-approve", conf)

	want := map[string]struct {
		mem  int
		cpus []int
		mac  string
	}{
		"web":     {64, []int{1}, "02:00:00:00:00:01"},
		"shop.db": {128, []int{0}, ""},
	}
	for name, w := range want {
		h.waitStatus(name, "running", func(st datadir.Status) bool { return st.State == datadir.StateRunning })
		sp := h.spec(name)
		if sp.MemoryMiB != w.mem || !reflect.DeepEqual(sp.CPUs, w.cpus) {
			t.Errorf("%s: memory %d, cpus %v; want %d, %v", name, sp.MemoryMiB, sp.CPUs, w.mem, w.cpus)
		}
		if len(sp.Nets) != 1 {
			t.Fatalf("%s: nets %+v", name, sp.Nets)
		}
		if w.mac != "" && sp.Nets[0].MAC != w.mac {
			t.Errorf("%s: MAC %s, want %s", name, sp.Nets[0].MAC, w.mac)
		}
	}
	// shop:db had no MAC: albatross derived it from "service" and its
	// name, and roost keeps that one.
	db, _ := albatross.ParseName("shop:db")
	if got, w := h.spec("shop.db").Nets[0].MAC, db.MAC("service").String(); got != w {
		t.Errorf("shop.db MAC %s, want albatross's %s", got, w)
	}
	got, err := os.ReadFile(h.dbdir.Block("shop.data"))
	if err != nil {
		t.Fatal(err)
	}
	if src := blocks["shop:data"]; !bytes.Equal(got[:len(src)], src) || len(got) != 4<<20 || bytes.ContainsFunc(got[len(src):], func(r rune) bool { return r != 0 }) {
		t.Errorf("roost's block shop.data is not albatross's block")
	}
}
