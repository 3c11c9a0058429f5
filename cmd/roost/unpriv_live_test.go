//go:build integration && linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
)

// Tests of issue 13: each tender runs under a uid of its own with no
// capabilities, NO_NEW_PRIVS, its own devices only, and keeps its uid.

func unprivConfig(extra string) string {
	return `
bridge "service" {
  addresses = ["192.0.2.1/24"]
}
block "da" {
  size = 1
}
block "db" {
  size = 1
}
unikernel "a" {
  image  = "web.hvt"
  memory = 32
  argv   = ["--ipv4=192.0.2.2/24"]
  net "service" {}
  block "storage" { device = "da" }
}
` + extra
}

const unprivB = `
unikernel "b" {
  image  = "db.hvt"
  memory = 32
  block "storage" { device = "db" }
}
`

// procStatus reads the fields of /proc/PID/status.
func procStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		m[k] = strings.TrimSpace(v)
	}
	return m
}

// tenderUID checks that the running tender of name has a uid of its own
// and nothing else, and returns the uid.
func (h *liveHost) tenderUID(name string) int {
	h.t.Helper()
	st := h.waitStatus(name, "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning && s.TenderPID > 0 })
	ps := procStatus(h.t.(*testing.T), st.TenderPID)
	uids := strings.Fields(ps["Uid"])
	uid, _ := strconv.Atoi(uids[0])
	if uid == 0 || len(uids) != 4 || uids[1] != uids[0] || uids[2] != uids[0] || uids[3] != uids[0] {
		h.t.Errorf("%s: tender Uid %q, want one non-zero uid", name, ps["Uid"])
	}
	for _, c := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		if ps[c] != "0000000000000000" {
			h.t.Errorf("%s: tender %s = %s, want 0", name, c, ps[c])
		}
	}
	if ps["NoNewPrivs"] != "1" {
		h.t.Errorf("%s: tender NoNewPrivs = %s, want 1", name, ps["NoNewPrivs"])
	}
	spec := h.spec(name)
	if spec.UID != uid || spec.GID != uid {
		h.t.Errorf("%s: spec.json uid %d gid %d, tender runs as %d", name, spec.UID, spec.GID, uid)
	}
	// Its descriptors: the console and what the shim handed over, and
	// the tap it attached itself (and the simulator's Go runtime's).
	// The image is the stored file itself, which every tender of that
	// image shares, not a copy of its own (issue 9).
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(st.TenderPID) + "/fd")
	images := 0
	for _, fd := range fds {
		n, _ := strconv.Atoi(fd.Name())
		target, _ := os.Readlink("/proc/" + strconv.Itoa(st.TenderPID) + "/fd/" + fd.Name())
		if target == spec.ImageFile {
			images++
		}
		ok := n <= 2 || strings.HasPrefix(target, string(h.dbdir.BlockDir())) ||
			target == spec.ImageFile || target == "/dev/net/tun" ||
			strings.HasPrefix(target, "anon_inode:")
		if !ok {
			h.t.Errorf("%s: tender has descriptor %d on %s", name, n, target)
		}
	}
	if images == 0 {
		h.t.Errorf("%s: tender has no descriptor on the stored image %s", name, spec.ImageFile)
	}
	if cwd, _ := os.Readlink("/proc/" + strconv.Itoa(st.TenderPID) + "/cwd"); cwd != h.dbdir.Unikernel(name) {
		h.t.Errorf("%s: tender working directory %s, want %s", name, cwd, h.dbdir.Unikernel(name))
	}
	if env, _ := os.ReadFile("/proc/" + strconv.Itoa(st.TenderPID) + "/environ"); len(env) != 0 {
		h.t.Errorf("%s: tender environment %q, want none", name, env)
	}
	return uid
}

// openAs tries to open path read-write as uid, and returns the error
// text ("" when it opened).
func openAs(t *testing.T, uid int, path string) string {
	t.Helper()
	return shellAs(t, uid, `exec 3<>"$1"`, path)
}

// readAs tries to open path read-only as uid, and returns the error
// text ("" when it opened).
func readAs(t *testing.T, uid int, path string) string {
	t.Helper()
	return shellAs(t, uid, `exec 3<"$1"`, path)
}

// shellAs runs script with argument arg as uid, and returns its output
// if it fails ("" when it succeeded).
func shellAs(t *testing.T, uid int, script, arg string) string {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script, "sh", arg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	out, err := cmd.CombinedOutput()
	if err == nil {
		return ""
	}
	return string(out)
}

func TestLiveUnprivileged(t *testing.T) {
	h := newLiveHost(t)
	h.netImages()
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service"), solo5test.Block("storage")}, Behaviour: "serve"})
	h.write("main.hcl", unprivConfig(unprivB))
	h.must("apply", "-auto-approve")
	ua, ub := h.tenderUID("a"), h.tenderUID("b")
	if ua == ub {
		t.Fatalf("a and b share uid %d", ua)
	}
	if out := h.must("status", "a").stdout; !strings.Contains(out, fmt.Sprintf("uid %d, unprivileged", ua)) {
		t.Errorf("roost status a does not show uid %d unprivileged:\n%s", ua, out)
	}
	var js views.Status
	if err := json.Unmarshal([]byte(h.must("status", "-json", "a").stdout), &js); err != nil {
		t.Fatal(err)
	}
	if u := js.Unikernels[0]; u.TenderUser != views.TenderUnprivileged || u.TenderUID != ua {
		t.Errorf("roost status -json a: tender_user %q tender_uid %d, want unprivileged %d", u.TenderUser, u.TenderUID, ua)
	}

	// phase: each block is its tender's, 0600; another tender cannot
	// open it by path (nor reach the data directory at all)
	for blk, uid := range map[string]int{"da": ua, "db": ub} {
		var st syscall.Stat_t
		if err := syscall.Stat(h.dbdir.Block(blk), &st); err != nil {
			t.Fatal(err)
		}
		if int(st.Uid) != uid || st.Mode&0o777 != 0o600 {
			t.Errorf("block %s: uid %d mode %#o, want %d and 0600", blk, st.Uid, st.Mode&0o777, uid)
		}
	}
	if msg := openAs(t, ua, h.dbdir.Block("db")); !strings.Contains(msg, "Permission denied") {
		t.Errorf("a's uid opening b's block: %q, want Permission denied", msg)
	}
	// Even with the directories open, the file itself refuses it.
	open := []string{filepath.Dir(filepath.Dir(string(h.dbdir))), filepath.Dir(string(h.dbdir)), string(h.dbdir), h.dbdir.BlockDir()}
	for _, d := range open {
		fi, _ := os.Stat(d)
		defer os.Chmod(d, fi.Mode().Perm())
		os.Chmod(d, 0o711)
	}
	if msg := openAs(t, ua, h.dbdir.Block("db")); !strings.Contains(msg, "Permission denied") {
		t.Errorf("a's uid opening b's block through open directories: %q, want Permission denied", msg)
	}
	if msg := openAs(t, ub, h.dbdir.Block("db")); msg != "" {
		t.Errorf("b's uid opening its own block: %q", msg)
	}
	for _, d := range open {
		os.Chmod(d, 0o700)
	}

	// phase: the stored image its tender reads is readable by all, but
	// no other uid reaches it by path: the store is roost's, 0700
	img := h.spec("a").ImageFile
	if fi, err := os.Stat(img); err != nil || fi.Mode() != datadir.ImageMode {
		t.Errorf("stored image of a: %v, %v; want mode %#o", fi, err, datadir.ImageMode)
	}
	if msg := readAs(t, ub, img); !strings.Contains(msg, "Permission denied") {
		t.Errorf("b's uid reading a's stored image by path: %q, want Permission denied", msg)
	}

	// phase: the network works through a tap the uid owns
	if err := h.ping("192.0.2.2"); err != nil {
		t.Errorf("ping a: %v", err)
	}

	// phase: a restart keeps the uid
	st := h.status("a")
	syscall.Kill(st.TenderPID, syscall.SIGKILL)
	h.waitStatus("a", "restarted", func(s datadir.Status) bool {
		return s.State == datadir.StateRunning && s.TenderPID > 0 && s.TenderPID != st.TenderPID
	})
	if got := h.tenderUID("a"); got != ua {
		t.Errorf("after a restart a runs as %d, want %d", got, ua)
	}

	// phase: a replacement keeps the uid
	h.must("apply", "-auto-approve", "-replace", "a")
	if got := h.tenderUID("a"); got != ua {
		t.Errorf("after a replace a runs as %d, want %d", got, ua)
	}

	// phase: destroy releases the uid: the next unikernel gets it
	h.write("main.hcl", unprivConfig(""))
	h.must("apply", "-auto-approve")
	if _, err := os.Stat(h.dbdir.Unikernel("b")); !os.IsNotExist(err) {
		t.Fatalf("b's directory after destroy: %v", err)
	}
	// Its block is kept, and roost's again: the uid is free.
	var bst syscall.Stat_t
	if err := syscall.Stat(h.dbdir.Block("db"), &bst); err != nil || bst.Uid != 0 {
		t.Errorf("b's retained block: uid %d (%v), want roost's 0", bst.Uid, err)
	}
	h.write("main.hcl", unprivConfig(strings.ReplaceAll(unprivB, `"b"`, `"c"`)))
	h.must("apply", "-auto-approve")
	if got := h.tenderUID("c"); got != ub {
		t.Errorf("c runs as %d, want b's released %d", got, ub)
	}
}

func TestLiveUnprivilegedFalse(t *testing.T) {
	h := newLiveHost(t)
	h.image("db.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "print db up; tick 1s"})
	h.write("main.hcl", `
block "d" {
  size = 1
}
unikernel "r" {
  image        = "db.hvt"
  memory       = 32
  unprivileged = false
  block "storage" { device = "d" }
}
`)
	if out := h.must("plan").stdout; !strings.Contains(out, `user`) || !strings.Contains(out, `root`) {
		t.Errorf("plan does not say the tender runs as root:\n%s", out)
	}
	if out := h.must("plan", "-json").stdout; !strings.Contains(out, `"root"`) {
		t.Errorf("plan -json does not say the tender runs as root:\n%s", out)
	}
	h.must("apply", "-auto-approve")
	st := h.waitStatus("r", "running", func(s datadir.Status) bool { return s.State == datadir.StateRunning && s.TenderPID > 0 })
	if uid := strings.Fields(procStatus(t, st.TenderPID)["Uid"])[0]; uid != "0" {
		t.Errorf("tender of unprivileged = false runs as uid %s, want 0", uid)
	}
	if out := h.must("status", "r").stdout; !strings.Contains(out, "root, every capability") {
		t.Errorf("roost status r does not say root:\n%s", out)
	}
	if spec := h.spec("r"); spec.UID != 0 {
		t.Errorf("spec.json uid %d, want none", spec.UID)
	}
}

// TestLivePlanSeesConfiguredUIDs checks that plan, which reads the host
// while the configuration loads (prefetch.go), still judges the host by
// the configuration's unikernel_uids: a range holding the host's daemon
// user is a problem, once a data directory exists to read early.
func TestLivePlanSeesConfiguredUIDs(t *testing.T) {
	h := newLiveHost(t)
	h.image("db.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "print db up; tick 1s"})
	unikernel := `
block "d" {
  size = 1
}
unikernel "r" {
  image  = "db.hvt"
  memory = 32
  block "storage" { device = "d" }
}
`
	h.write("main.hcl", unikernel)
	h.must("apply", "-auto-approve")
	h.write("main.hcl", "roost {\n  unikernel_uids = [1, 10]\n}\n"+unikernel)
	r := h.roost("plan")
	if r.code != 1 || !strings.Contains(r.stderr, `unikernel_uids: 1-10 holds 1, the user "daemon" of /etc/passwd`) {
		t.Errorf("plan with unikernel_uids holding daemon: exit %d, want 1 and the problem\n%s%s", r.code, r.stdout, r.stderr)
	}
}
