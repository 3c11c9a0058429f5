package platform

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
)

func TestTenderUserAllocation(t *testing.T) {
	etc := t.TempDir()
	first := DefaultUIDs[0]
	os.WriteFile(filepath.Join(etc, "passwd"), []byte("root:x:0:0::/root:/bin/sh\nodd:x:2000000000:100::/:/bin/false\n"), 0o644)
	os.WriteFile(filepath.Join(etc, "group"), []byte("root:x:0:\nodder:x:2000000001:\n"), 0o644)
	h := &Host{dbdir: datadir.Dir(filepath.Join(t.TempDir(), "db")), etc: etc, shims: noShims{}}
	if err := h.dbdir.Init(); err != nil {
		t.Fatal(err)
	}
	alloc := func(name string) int {
		t.Helper()
		if err := h.writeSpec(&plan.Spec{Name: name, Target: "spt"}); err != nil {
			t.Fatal(err)
		}
		var s datadir.Spec
		if err := h.dbdir.ReadJSON(h.dbdir.Spec(name), &s); err != nil {
			t.Fatal(err)
		}
		return s.UID
	}
	if got := alloc("a"); got != first+2 {
		t.Errorf("first uid = %d, want %d (passwd and group use the two before)", got, first+2)
	}
	if got := alloc("b"); got != first+3 {
		t.Errorf("second uid = %d, want %d", got, first+3)
	}
	if got := alloc("a"); got != first+2 {
		t.Errorf("a again = %d, want its own %d", got, first+2)
	}
	if err := h.RemoveUnikernel(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	if got := alloc("c"); got != first+2 {
		t.Errorf("after a's directory went, c = %d, want a's %d", got, first+2)
	}
	if err := h.writeSpec(&plan.Spec{Name: "r", Target: "spt", RunAsRoot: true}); err != nil {
		t.Fatal(err)
	}
	var s datadir.Spec
	h.dbdir.ReadJSON(h.dbdir.Spec("r"), &s)
	if s.UID != 0 {
		t.Errorf("unprivileged = false: uid %d, want 0", s.UID)
	}

	if p := h.uidProblems(); p != nil {
		t.Errorf("default range problems = %q, want none (it skips)", p)
	}
	h.uids = [2]int{first, first + 9}
	p := strings.Join(h.uidProblems(), "\n")
	if !strings.Contains(p, `the user "odd" of `) || !strings.Contains(p, `the group "odder" of `) {
		t.Errorf("configured range problems = %q, want both entries named", p)
	}
}

// TestTenderUsersDistinctInParallel starts the allocation of many
// unikernels at once, as apply's parallel steps do: each must get a uid
// of its own.
func TestTenderUsersDistinctInParallel(t *testing.T) {
	h := &Host{dbdir: datadir.Dir(filepath.Join(t.TempDir(), "db")), etc: t.TempDir(), shims: noShims{}}
	if err := h.dbdir.Init(); err != nil {
		t.Fatal(err)
	}
	const n = 40
	uids := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("u%d", i)
			if err := h.writeSpec(&plan.Spec{Name: name, Target: "spt"}); err != nil {
				t.Error(err)
				return
			}
			var s datadir.Spec
			h.dbdir.ReadJSON(h.dbdir.Spec(name), &s)
			uids[i] = s.UID
		})
	}
	wg.Wait()
	seen := map[int]int{}
	for i, u := range uids {
		if j, ok := seen[u]; ok {
			t.Errorf("u%d and u%d both got uid %d", j, i, u)
		}
		seen[u] = i
	}
}
