package platform_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

func TestObserveUnikernels(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Observe reads /proc")
	}
	ctx := context.Background()
	shims := &fakeShims{alive: map[string]bool{"running": true}}
	h := newHost(t, platform.Options{})
	platform.SetSupervisor(h, shims)
	if err := h.DBDir().Init(); err != nil {
		t.Fatal(err)
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Fatal(err)
	}
	self := selfStartTime(t)
	write := func(name string, spec *datadir.Spec, status *datadir.Status) {
		t.Helper()
		if err := os.Mkdir(h.DBDir().Unikernel(name), 0o700); err != nil {
			t.Fatal(err)
		}
		if spec != nil {
			if err := h.DBDir().WriteJSON(h.DBDir().Spec(name), spec); err != nil {
				t.Fatal(err)
			}
		}
		if status != nil {
			if err := h.DBDir().WriteJSON(h.DBDir().Status(name), status); err != nil {
				t.Fatal(err)
			}
		}
	}
	this := strings.TrimSpace(string(boot))
	write("running", &datadir.Spec{Name: "running"}, &datadir.Status{State: datadir.StateRunning, BootID: this, TenderPID: os.Getpid(), TenderStart: self})
	write("reused-pid", &datadir.Spec{Name: "reused-pid"}, &datadir.Status{State: datadir.StateRunning, BootID: this, TenderPID: os.Getpid(), TenderStart: self + 1})
	write("other-boot", &datadir.Spec{Name: "other-boot"}, &datadir.Status{State: datadir.StateRunning, BootID: "another", TenderPID: os.Getpid(), TenderStart: self})
	write("no-status", &datadir.Spec{Name: "no-status"}, nil)
	// A spec.json that names a tap not its own (plan would delete it).
	write("other-tap", &datadir.Spec{Name: "other-tap", Nets: []datadir.SpecNet{{Device: "service", Tap: plan.TapName("web", "service")}}},
		&datadir.Status{State: datadir.StateRunning, BootID: this})
	// One that names another unikernel, which has a directory: not its
	// own; one a move left (the directory renamed, spec.json not yet).
	write("named-other", &datadir.Spec{Name: "running"}, &datadir.Status{State: datadir.StateRunning, BootID: this})
	write("moved-new", &datadir.Spec{Name: "moved-old"}, &datadir.Status{State: datadir.StateRunning, BootID: this})
	write("own-tap", &datadir.Spec{Name: "own-tap", Nets: []datadir.SpecNet{{Device: "service", Tap: plan.TapName("own-tap", "service")}}},
		&datadir.Status{State: datadir.StateRunning, BootID: this})
	write("empty", nil, nil)
	if err := os.WriteFile(h.DBDir().Spec("empty"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The shim's record of the spec it read: of this spec.json (as
	// written, or laid out otherwise), or of an older one (a lost reload).
	current := &datadir.Spec{Name: "current", MemoryMiB: 32, Argv: []string{"a b", "<&>"}}
	write("current", current, &datadir.Status{State: datadir.StateRunning, BootID: this, SpecDigest: datadir.Digest(current)})
	older := &datadir.Spec{Name: "stale", MemoryMiB: 16}
	write("stale", &datadir.Spec{Name: "stale", MemoryMiB: 32}, &datadir.Status{State: datadir.StateRunning, BootID: this, SpecDigest: datadir.Digest(older)})
	relaid := &datadir.Spec{Name: "relaid", MemoryMiB: 32}
	write("relaid", nil, &datadir.Status{State: datadir.StateRunning, BootID: this, SpecDigest: datadir.Digest(relaid)})
	if err := os.WriteFile(h.DBDir().Spec("relaid"), []byte(`{"memory_mib":32, "name":"relaid"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	// A named pipe planted as spec.json: a problem, not a plan that
	// waits for a writer.
	write("pipe", nil, &datadir.Status{State: datadir.StateRunning, BootID: this})
	if err := unix.Mkfifo(h.DBDir().Spec("pipe"), 0o600); err != nil {
		t.Fatal(err)
	}

	type observed struct {
		o   *plan.Observed
		err error
	}
	done := make(chan observed, 1)
	go func() { o, err := h.Observe(ctx); done <- observed{o, err} }()
	var o *plan.Observed
	select {
	case r := <-done:
		o, err = r.o, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Observe still runs after 10 s (the named pipe?)")
	}
	if err != nil {
		t.Fatalf("Observe = %v", err)
	}
	if o.BootID != this {
		t.Errorf("BootID = %q, want %q", o.BootID, this)
	}
	type row struct {
		spec, status, shim, tender bool
		problem                    string
	}
	want := map[string]row{
		"running":     {spec: true, status: true, shim: true, tender: true},
		"reused-pid":  {spec: true, status: true},
		"other-boot":  {spec: true, status: true},
		"no-status":   {spec: true, problem: "status.json: missing"},
		"other-tap":   {status: true, problem: `spec.json: net "service" names tap "` + plan.TapName("web", "service") + `", not its own`},
		"own-tap":     {spec: true, status: true},
		"named-other": {status: true, problem: `spec.json: names unikernel "running", which has a directory of its own`},
		"moved-new":   {spec: true, status: true},
		"empty":       {problem: "spec.json: parse "},
		"current":     {spec: true, status: true},
		"stale":       {spec: true, status: true},
		"relaid":      {spec: true, status: true},
		"pipe":        {status: true, problem: "spec.json: read "},
	}
	for name, w := range want {
		u, ok := o.Unikernels[name]
		if !ok {
			t.Errorf("Observe lacks unikernel %s", name)
			continue
		}
		got := row{u.Spec != nil, u.Status != nil, u.ShimAlive, u.TenderAlive, u.Problem}
		if w.problem != "" && strings.HasPrefix(got.problem, w.problem) {
			got.problem = w.problem
		}
		if got != w {
			t.Errorf("unikernel %s = %+v, want %+v", name, got, w)
		}
	}
	if p := o.Unikernels["pipe"].Problem; !strings.Contains(p, "not a regular file (a named pipe)") {
		t.Errorf("unikernel pipe: Problem = %q, want it to say spec.json is a named pipe", p)
	}
	for name, want := range map[string]bool{"current": false, "stale": true, "relaid": false} {
		if got := o.Unikernels[name].SpecStale; got != want {
			t.Errorf("unikernel %s: SpecStale = %v, want %v", name, got, want)
		}
	}
	if len(o.Unikernels) != len(want) {
		t.Errorf("Observe found %d unikernels, want %d", len(o.Unikernels), len(want))
	}
	if len(o.Host.CPUs) == 0 || o.Host.MemoryMiB <= 0 || o.Host.DiskFreeBytes <= 0 {
		t.Errorf("Host = %+v, want cpus, memory and free disk", o.Host)
	}
}

// selfStartTime returns field 22 of /proc/self/stat, read independently
// of platform's parser.
func selfStartTime(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	var start uint64
	if _, err := fmt.Sscan(f[22-3], &start); err != nil {
		t.Fatal(err)
	}
	return start
}
