package platform

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/roostd/roost/platform/datadir"
)

// noShims is a supervisor that knows of no live shim.
type noShims struct{ shimPackage }

func (noShims) Alive(u *datadir.Subdir) (bool, int, error) { return false, 0, nil }

// FuzzObserveUnikernel feeds arbitrary spec.json and status.json to the
// observation of a unikernel's directory: whatever a file roost wrote
// earlier has become, observing it never panics, and a file that does not
// parse is a Problem, not a Spec or Status (issue 8: everything read back
// from the data directory is untrusted input).
func FuzzObserveUnikernel(f *testing.F) {
	spec := []byte(`{"name":"web","image":"/etc/roost/web.hvt","image_file":"/var/lib/roost/images/ab","image_sha256":"ab","target":"hvt","abi_version":2,"tender":"/usr/bin/solo5-hvt","memory_mib":32,"nets":[{"device":"service","bridge":"br0","mac":"02:00:00:00:00:01","tap":"rt0123456789"}],"blocks":[{"device":"storage","block":"data","path":"/var/lib/roost/block/data","sector_size":512,"size_mib":8}],"restart":{"policy":"always","backoff":"1s","max_backoff":"5m0s"},"stop_timeout":"10s","command":["/usr/bin/solo5-hvt","--mem=32"]}`)
	status := []byte(`{"state":"running","shim_pid":1,"boot_id":"x","tender_pid":2,"tender_start":3,"started_at":"2026-11-27T09:00:00Z","restarts":1,"last_exit":{"code":1,"at":"2026-11-27T09:00:00Z"},"spec_digest":"d","updated_at":"2026-11-27T09:00:00Z"}`)
	f.Add(spec, status)
	f.Add([]byte(`{`), []byte(`null`))
	f.Add([]byte(`{"restart":{"backoff":"-1h"},"stop_timeout":"9999999h"}`), []byte(`{"state":"no such state","last_exit":{"code":null}}`))
	f.Add([]byte(`[]`), []byte(`{"state":"running","tender_pid":-5}`))
	f.Fuzz(func(t *testing.T, spec, status []byte) {
		root := filepath.Join(t.TempDir(), "db")
		h := &Host{dbdir: datadir.Dir(root), shims: noShims{}, finder: NewTenderFinder(nil, datadir.Dir(root))}
		if err := h.dbdir.Init(); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(h.dbdir.Unikernel("web"), 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(h.dbdir.Spec("web"), spec, 0o600)
		os.WriteFile(h.dbdir.Status("web"), status, 0o600)
		top, err := h.dbdir.OpenDir(h.dbdir.UnikernelsDir())
		if err != nil {
			t.Fatal(err)
		}
		defer top.Close()
		u := h.observeUnikernel(top, "web", "boot")
		if u.Spec == nil && u.Status == nil && u.Problem == "" {
			t.Errorf("neither file parsed, and no problem says why")
		}
	})
}
