//go:build integration && linux

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/roostd/roost/platform/datadir"
)

// twin returns a liveHost in h's network namespace with a data directory
// and a configuration directory of its own: a second roost on one host.
func (h *liveHost) twin() *liveHost {
	h.t.Helper()
	b := &liveHost{t: h.t, ns: h.ns, dir: h.t.TempDir(), dbdir: datadir.Dir(filepath.Join(h.t.TempDir(), "db")), tenders: h.tenders}
	b.env = slices.DeleteFunc(slices.Clone(h.env), func(e string) bool { return strings.HasPrefix(e, "ROOST_DBDIR=") })
	b.env = append(b.env, "ROOST_DBDIR="+string(b.dbdir))
	h.t.Cleanup(b.stopAll)
	return b
}

// otherUnikernel is the second data directory's unikernel, on the first
// one's bridge.
const otherUnikernel = `
unikernel "other" {
  image  = "web.hvt"
  memory = 32
  argv   = ["--ipv4=192.0.2.3/24"]
  net "service" {}
  stop_timeout = "2s"
}
`

// TestLiveTwoDataDirectories runs two data directories in one network
// namespace (two roosts on one host, or a test next to production): each
// leaves the other's bridges and taps alone. Before links named their
// data directory, the second one's plan deleted the first one's bridge
// and taps, and its apply cut the first one's unikernels off the network.
func TestLiveTwoDataDirectories(t *testing.T) {
	a := newLiveHost(t)
	a.netImages()
	a.write("main.hcl", netConfig)
	a.must("apply", "-auto-approve")
	if err := a.ping("192.0.2.2"); err != nil {
		t.Fatalf("ping a's web: %v", err)
	}
	links := func() string {
		out, err := a.ip("-d", "link", "show")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	id := a.dbdir.ID()
	if id == "" || !strings.Contains(links(), "roost:web:service:"+id) || !strings.Contains(links(), "roost:bridge:"+id) {
		t.Fatalf("a's links do not name its data directory %q:\n%s", id, links())
	}

	// phase: an empty configuration in another data directory changes
	// nothing of a's
	b := a.twin()
	b.write("main.hcl", "")
	if code, r := b.detailedPlan(); code != 0 {
		t.Errorf("b's plan with nothing declared: exit %d, want 0 (no changes)\n%s", code, r.stdout)
	}

	// phase: b runs a unikernel of its own on a's bridge, and declares
	// the bridge too (used as it is: it is a's)
	b.netImages()
	b.write("main.hcl", `
bridge "service" {
  addresses = ["192.0.2.1/24"]
}
`+otherUnikernel)
	b.must("apply", "-auto-approve")
	for _, addr := range []string{"192.0.2.2", "192.0.2.3"} {
		if err := a.ping(addr); err != nil {
			t.Errorf("ping %s with both running: %v", addr, err)
		}
	}

	// phase: b declaring a unikernel of a's name is refused: its tap
	// would be a's
	b.write("web.hcl", `
unikernel "web" {
  image  = "web.hvt"
  memory = 32
  argv   = ["--ipv4=192.0.2.4/24"]
  net "service" {}
}
`)
	r := b.roost("apply", "-auto-approve")
	if r.code != 1 || !strings.Contains(r.stderr, "of another roost data directory (ID "+id+")") {
		t.Errorf("b's apply of a unikernel named as a's: exit %d, want 1 naming a's data directory\n%s%s", r.code, r.stdout, r.stderr)
	}
	os.Remove(filepath.Join(b.dir, "web.hcl"))

	// phase: b destroys all it has; a's bridge, tap and unikernel stay
	b.must("destroy", "-auto-approve")
	if err := a.ping("192.0.2.2"); err != nil {
		t.Errorf("ping a's web after b's destroy: %v", err)
	}
	if err := a.ping("192.0.2.3"); err == nil {
		t.Errorf("b's unikernel still answers after b's destroy")
	}
	if code, r := a.detailedPlan(); code != 0 {
		t.Errorf("a's plan after b came and went: exit %d, want 0\n%s", code, r.stdout)
	}
	if !strings.Contains(links(), "roost:web:service:"+id) {
		t.Errorf("a's tap is gone after b's destroy:\n%s", links())
	}
}

// TestLiveLinksFromBeforeIDs upgrades a data directory whose links a roost
// before data directory IDs made (aliases that name none, a mark without
// an ID) while a data directory made since shares its namespace: the new
// one runs a unikernel on the old one's bridge and destroys it again
// without deleting the bridge, and the old one keeps its links and gives
// them its ID.
func TestLiveLinksFromBeforeIDs(t *testing.T) {
	a := newLiveHost(t)
	a.netImages()
	a.write("main.hcl", netConfig)
	a.must("apply", "-auto-approve")
	tap := "rt351d301529" // plan.TapName("web", "service")
	for _, args := range [][]string{{"link", "set", "dev", "service", "alias", "roost:bridge"}, {"link", "set", "dev", tap, "alias", "roost:web:service"}} {
		if out, err := a.ip(args...); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(string(a.dbdir), datadir.Mark), []byte("roost data directory, format 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// phase: a data directory made since uses the old bridge, then goes
	b := a.twin()
	b.netImages()
	b.write("main.hcl", otherUnikernel)
	b.must("apply", "-auto-approve")
	if err := a.ping("192.0.2.3"); err != nil {
		t.Errorf("ping b's unikernel on a's bridge: %v", err)
	}
	b.must("destroy", "-auto-approve")
	if err := a.ping("192.0.2.2"); err != nil {
		t.Errorf("ping a's web after b's destroy: %v", err)
	}

	// phase: the old data directory keeps its links and marks them
	code, r := a.detailedPlan()
	if code != 2 || !strings.Contains(r.stdout, "made by a roost before data directories had IDs") || !strings.Contains(r.stdout, "0 to add, 1 to change, 0 to replace, 0 to destroy") {
		t.Errorf("a's plan after the upgrade: exit %d, want the bridge marked and nothing destroyed\n%s", code, r.stdout)
	}
	a.must("apply", "-auto-approve")
	out, _ := a.ip("-d", "link", "show", "service")
	if id, legacy := a.dbdir.Identity(); id == "" || !legacy || !strings.Contains(out, "roost:bridge:"+id) {
		t.Errorf("after a's apply: ID %q, links from before IDs %v; bridge:\n%s", id, legacy, out)
	}
	if code, r := a.detailedPlan(); code != 0 {
		t.Errorf("a's plan after its apply: exit %d, want 0\n%s", code, r.stdout)
	}
	if err := a.ping("192.0.2.2"); err != nil {
		t.Errorf("ping a's web after the upgrade: %v", err)
	}
}
