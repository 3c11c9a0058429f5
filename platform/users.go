package platform

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
)

// A tender's user (issue 13). Where the platform supports it
// (tenderUsers, Linux), each unikernel's tender runs under a uid of its
// own, with the gid of the same number, allocated from a range that no
// passwd or group entry uses. spec.json records it: a spec that has one
// keeps it across restarts, updates and replacements, and the uid is free
// again once the unikernel's directory is gone.

// DefaultUIDs is the range roost allocates tenders' uids from when the
// configuration sets no unikernel_uids: far above the users a distribution
// makes (1000-60000), systemd's DynamicUser range (61184-65519) and the
// subordinate ids container runtimes hand out from 100000, and below 2^31.
var DefaultUIDs = [2]int{2_000_000_000, 2_000_099_999}

// tenderUser is who a tender runs as; the zero value is root.
type tenderUser struct {
	UID, GID int
	Groups   []int
}

// uidRange is the range the Host allocates from, and whether the
// configuration chose it.
func (h *Host) uidRange() (r [2]int, configured bool) {
	if h.uids != [2]int{} {
		return h.uids, true
	}
	return DefaultUIDs, false
}

// inRange says whether id is one the Host gives tenders.
func (h *Host) inRange(id int) bool {
	r, _ := h.uidRange()
	return id >= r[0] && id <= r[1]
}

// tenderUser returns the user spec's tender runs as: root when the spec
// says so or the platform cannot do otherwise; else the uid its spec.json
// has, or a new one. The caller holds usersMu until it has written the
// user to spec.json, so that no other allocation misses it.
func (h *Host) tenderUser(spec *plan.Spec) (tenderUser, error) {
	if !tenderUsers || spec.RunAsRoot {
		return tenderUser{}, nil
	}
	var old datadir.Spec
	uid := 0
	if err := h.dbdir.ReadJSON(h.dbdir.Spec(spec.Name), &old); err == nil && old.UID != 0 && h.inRange(old.UID) {
		uid = old.UID
	} else if uid, err = h.allocateUID(spec.Name); err != nil {
		return tenderUser{}, fmt.Errorf("allocate a uid for the tender: %w", err)
	}
	u := tenderUser{UID: uid, GID: uid}
	if spec.Target == "hvt" {
		// solo5-hvt opens /dev/kvm itself: through its group, the one
		// supplementary group it keeps (plan checks the mode).
		if d := statDevice("/dev/kvm"); d.Err == "" && d.GID != 0 {
			u.Groups = []int{d.GID}
		}
	}
	return u, nil
}

// uidAllocator hands out tender uids for one Host. The uids in use are
// read once (passwd, group, every applied spec.json) and kept up to date
// as it allocates: reading every spec per start made an apply of n
// unikernels read n^2 files, and two starts running in parallel could
// both take the same lowest free uid. Allocations of different roost
// processes never overlap: they happen under the data directory's
// exclusive lock (apply, destroy, a watch pass).
type uidAllocator struct {
	mu   sync.Mutex   // guards used
	used map[int]bool // nil until loaded
}

// allocateUID returns the lowest uid of the range that no passwd or
// group entry and no other unikernel's spec.json uses, and marks it used.
func (h *Host) allocateUID(name string) (int, error) {
	a := &h.uidAlloc
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.used == nil {
		used, err := h.usedIDs(name)
		if err != nil {
			return 0, err
		}
		a.used = used
	}
	r, _ := h.uidRange()
	for id := r[0]; id <= r[1]; id++ {
		if !a.used[id] {
			a.used[id] = true
			return id, nil
		}
	}
	return 0, fmt.Errorf("every uid of %d-%d is taken", r[0], r[1])
}

// releaseUID gives back the uid of a unikernel whose directory went.
func (h *Host) releaseUID(uid int) {
	a := &h.uidAlloc
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.used != nil && uid != 0 {
		delete(a.used, uid)
	}
}

// usedIDs reads the ids that passwd, group and the applied specs of the
// unikernels other than name use.
func (h *Host) usedIDs(name string) (map[int]bool, error) {
	used := map[int]bool{}
	for _, f := range []string{h.etc + "/passwd", h.etc + "/group"} {
		ids, err := readIDs(f)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for id := range ids {
			used[id] = true
		}
	}
	entries, err := h.dbdir.ReadDir(h.dbdir.UnikernelsDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() == name || !e.IsDir() {
			continue
		}
		var s datadir.Spec
		if err := h.dbdir.ReadJSON(h.dbdir.Spec(e.Name()), &s); err == nil && s.UID != 0 {
			used[s.UID] = true
		}
	}
	return used, nil
}

// uidProblems lists the passwd and group entries inside a configured
// range, for plan to refuse it; the default range skips them instead.
func (h *Host) uidProblems() []string {
	r, configured := h.uidRange()
	if !configured || !tenderUsers {
		return nil
	}
	var out []string
	for _, f := range []struct{ path, what string }{{h.etc + "/passwd", "user"}, {h.etc + "/group", "group"}} {
		ids, err := readIDs(f.path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			out = append(out, fmt.Sprintf("%s cannot be read: %v", f.path, err))
			continue
		}
		for id, name := range ids {
			if id >= r[0] && id <= r[1] {
				out = append(out, fmt.Sprintf("%d-%d holds %d, the %s %q of %s", r[0], r[1], id, f.what, name, f.path))
			}
		}
	}
	return out
}

// readIDs reads the ids (third field) of a passwd or group file, with
// their names.
func readIDs(path string) (map[int]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids := map[int]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if id, err := strconv.Atoi(fields[2]); err == nil {
			ids[id] = fields[0]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ids, nil
}

// groupName is gid's name in the group file, or "".
func (h *Host) groupName(gid int) string {
	ids, _ := readIDs(h.etc + "/group")
	return ids[gid]
}

// observeTenderUsers records what plan checks before it starts a tender
// under a uid of its own: the device nodes it opens and the range.
func (h *Host) observeTenderUsers(hi *plan.HostInfo) {
	if !tenderUsers {
		return
	}
	hi.TenderUsers = true
	kvm, tun := statDevice("/dev/kvm"), statDevice("/dev/net/tun")
	if kvm.Err == "" {
		kvm.Group = h.groupName(kvm.GID)
	}
	hi.KVM, hi.Tun = &kvm, &tun
	hi.UIDProblems = h.uidProblems()
}
