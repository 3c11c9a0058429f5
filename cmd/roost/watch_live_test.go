//go:build integration && linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roostd/roost/platform/datadir"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/solo5"
)

// watchProc is `roost watch -json` running in a test's namespace; its
// events are collected as they come.
type watchProc struct {
	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done closes

	mu     sync.Mutex // guards events
	events []map[string]any
}

func (h *liveHost) watch(args ...string) *watchProc {
	h.t.Helper()
	cmd := h.ns.Command(context.Background(), "roost", append([]string{"watch", "-json"}, args...)...)
	cmd.Env = h.env
	cmd.Dir = h.dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	w := &watchProc{t: h.t, cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e map[string]any
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				e = map[string]any{"type": "text", "message": sc.Text()}
			}
			w.mu.Lock()
			w.events = append(w.events, e)
			w.mu.Unlock()
		}
		w.err = cmd.Wait()
		close(w.done)
	}()
	// Stopped before the namespace goes; a test that stops it itself
	// makes this a no-op.
	h.t.Cleanup(func() { w.stop() })
	w.waitFor("the first pass", func(e map[string]any) bool { return e["type"] == "pass" })
	return w
}

// stop sends SIGTERM and waits for watch to exit, returning its error.
func (w *watchProc) stop() error {
	select {
	case <-w.done:
		return w.err
	default:
	}
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		w.cmd.Process.Kill()
		<-w.done
		w.t.Errorf("watch did not stop within 10 s of SIGTERM")
	}
	return w.err
}

// mark returns the number of events so far, for since.
func (w *watchProc) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

// since returns the events after mark m.
func (w *watchProc) since(m int) []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.events[m:]...)
}

// waitFor waits up to 10 s for an event matching pred, from the start.
func (w *watchProc) waitFor(what string, pred func(map[string]any) bool) map[string]any {
	w.t.Helper()
	return w.waitForSince(0, what, pred)
}

func (w *watchProc) waitForSince(m int, what string, pred func(map[string]any) bool) map[string]any {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range w.since(m) {
			if pred(e) {
				return e
			}
		}
		select {
		case <-w.done:
			w.t.Fatalf("watch exited (%v) before %s; events:\n%s", w.err, what, w.dump(0))
		case <-time.After(10 * time.Millisecond):
		}
	}
	w.t.Fatalf("no %s within 10 s; events:\n%s", what, w.dump(0))
	return nil
}

func (w *watchProc) dump(m int) string {
	var b strings.Builder
	for _, e := range w.since(m) {
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func isStep(address, phase string) func(map[string]any) bool {
	return func(e map[string]any) bool {
		return e["type"] == "step" && e["address"] == address && e["phase"] == phase
	}
}

// passes counts the pass events after m that a configuration change
// caused.
func (w *watchProc) configPasses(m int) int {
	n := 0
	for _, e := range w.since(m) {
		if e["type"] != "pass" {
			continue
		}
		if rs, ok := e["reasons"].([]any); ok {
			for _, r := range rs {
				if strings.HasPrefix(fmt.Sprint(r), "config changed") {
					n++
					break
				}
			}
		}
	}
	return n
}

// save writes a file the way editors do: a temporary file renamed over it.
func (h *liveHost) save(name, src string) {
	h.t.Helper()
	tmp := filepath.Join(h.dir, "."+name+".swp")
	if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(h.dir, name)); err != nil {
		h.t.Fatal(err)
	}
}

func webUnikernel(name, addr string) string {
	return fmt.Sprintf(`
unikernel %q {
  image = "web.hvt"
  argv  = ["--ipv4=%s/24"]
  net "service" {}
  stop_timeout = "2s"
}
`, name, addr)
}

const bridgeOnly = `
bridge "service" {
  addresses = ["192.0.2.1/24"]
}
`

func TestLiveWatchFiles(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("bridge.hcl", bridgeOnly)
	w := h.watch("-resync", "1h")

	// phase: a new file's unikernel runs
	m := w.mark()
	h.save("web.hcl", webUnikernel("web", "192.0.2.2"))
	w.waitForSince(m, "web created", isStep("unikernel.web", "done"))
	first := h.status("web")
	if err := h.ping("192.0.2.2"); err != nil {
		t.Errorf("ping web: %v", err)
	}

	// phase: an edited argv replaces it
	m = w.mark()
	h.save("web.hcl", webUnikernel("web", "192.0.2.3"))
	e := w.waitForSince(m, "web replaced", isStep("unikernel.web", "done"))
	if e["action"] != "replace" || !strings.Contains(fmt.Sprint(e["detail"]), "argv") {
		t.Errorf("edit of argv gave %v, want a replace naming argv", e)
	}
	if st := h.status("web"); st.TenderPID == first.TenderPID {
		t.Errorf("tender pid %d unchanged after a replace", st.TenderPID)
	}
	if err := h.ping("192.0.2.3"); err != nil {
		t.Errorf("ping the replaced web: %v", err)
	}

	// phase: a deleted file stops it
	m = w.mark()
	h.remove("web.hcl")
	w.waitForSince(m, "web destroyed", isStep("unikernel.web", "done"))
	if _, err := os.Stat(h.dbdir.Unikernel("web")); !os.IsNotExist(err) {
		t.Errorf("web's directory after its file was deleted: %v", err)
	}
	if err := w.stop(); err != nil {
		t.Errorf("watch exit: %v", err)
	}
}

func TestLiveWatchSaves(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("bridge.hcl", bridgeOnly)
	h.write("web.hcl", webUnikernel("web", "192.0.2.2"))
	w := h.watch("-resync", "1h")

	// phase: one editor-style save, one pass
	m := w.mark()
	h.save("web.hcl", webUnikernel("web", "192.0.2.4"))
	w.waitForSince(m, "the pass of the save", isStep("unikernel.web", "done"))
	time.Sleep(500 * time.Millisecond) // time for a second pass, were there one
	if n := w.configPasses(m); n != 1 {
		t.Errorf("one save made %d passes, want 1:\n%s", n, w.dump(m))
	}

	// phase: 20 saves in 100 ms, one or two passes
	m = w.mark()
	for i := range 20 {
		h.save("web.hcl", webUnikernel("web", fmt.Sprintf("192.0.2.%d", 10+i)))
		time.Sleep(5 * time.Millisecond)
	}
	w.waitForSince(m, "the pass of the saves", isStep("unikernel.web", "done"))
	time.Sleep(500 * time.Millisecond)
	if n := w.configPasses(m); n < 1 || n > 2 {
		t.Errorf("20 saves in 100 ms made %d passes, want 1 or 2:\n%s", n, w.dump(m))
	}
	var spec datadir.Spec
	if err := h.dbdir.ReadJSON(h.dbdir.Spec("web"), &spec); err != nil || !strings.Contains(strings.Join(spec.Argv, " "), "192.0.2.29") {
		t.Errorf("after the saves web runs %v (%v), want the last save's argv", spec.Argv, err)
	}
	// Editor temporaries alone cause no pass.
	m = w.mark()
	h.write("web.hcl~", "garbage {")
	h.write(".#web.hcl", "garbage {")
	time.Sleep(500 * time.Millisecond)
	if n := w.configPasses(m); n != 0 {
		t.Errorf("editor temporaries made %d passes", n)
	}
}

func TestLiveWatchInvalidConfig(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("bridge.hcl", bridgeOnly)
	h.write("web.hcl", webUnikernel("web", "192.0.2.2"))
	w := h.watch("-resync", "1h")
	before := h.status("web")

	m := w.mark()
	h.save("web.hcl", webUnikernel("web", "192.0.2.5")+"\nunikernel \"broken\" {\n")
	e := w.waitForSince(m, "the diagnostics", func(e map[string]any) bool { return e["type"] == "diagnostics" })
	if !strings.Contains(fmt.Sprint(e["diagnostics"]), "Unclosed configuration block") {
		t.Errorf("diagnostics = %v", e["diagnostics"])
	}
	w.waitForSince(m, "the invalid report", func(e map[string]any) bool {
		return e["type"] == "invalid" && strings.Contains(fmt.Sprint(e["message"]), "generation 1 stays in force")
	})
	if st := h.status("web"); st.TenderPID != before.TenderPID || st.State != datadir.StateRunning {
		t.Errorf("an invalid configuration changed web: %+v", st)
	}

	// Fixing it applies it.
	m = w.mark()
	h.save("web.hcl", webUnikernel("web", "192.0.2.5"))
	w.waitForSince(m, "the fix applied", isStep("unikernel.web", "done"))
	if err := h.ping("192.0.2.5"); err != nil {
		t.Errorf("ping after the fix: %v", err)
	}
}

func TestLiveWatchHealsTap(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("main.hcl", bridgeOnly+webUnikernel("web", "192.0.2.2"))
	w := h.watch("-resync", "1h") // no resync: only the link event can heal it

	tap := plan.TapName("web", "service")
	m := w.mark()
	if out, err := h.ip("link", "del", tap); err != nil {
		t.Fatalf("ip link del %s: %v %s", tap, err, out)
	}
	e := w.waitForSince(m, "web healed", isStep("unikernel.web", "done"))
	if !strings.Contains(fmt.Sprint(e["detail"]), "tap "+tap+` of net "service" missing`) {
		t.Errorf("heal step = %v, want the missing tap as its reason", e)
	}
	if out, err := h.ip("link", "show", tap); err != nil || !strings.Contains(out, "master service") {
		t.Errorf("tap after healing: %v %s", err, out)
	}
	if err := h.ping("192.0.2.2"); err != nil {
		t.Errorf("ping after healing: %v", err)
	}
}

func TestLiveWatchCrashLoop(t *testing.T) {
	h := newLiveHost(t)
	h.image("crash.hvt", solo5test.Spec{Behaviour: "print up; sleep 50ms; exit 3"})
	h.write("main.hcl", `
unikernel "crash" {
  image = "crash.hvt"
  restart {
    policy      = "always"
    backoff     = "100ms"
    max_backoff = "400ms"
  }
}
`)
	w := h.watch("-resync", "500ms")
	m := w.mark()
	start := h.status("crash").Restarts
	time.Sleep(3 * time.Second)
	restarts := h.status("crash").Restarts
	if restarts-start < 4 {
		t.Errorf("the shim restarted crash %d times in 3 s, want at least 4 (backoff 100-400 ms)", restarts-start)
	}
	// Watch does not fight the shim: several passes (resyncs, shim
	// exits), no steps.
	passes := 0
	for _, e := range w.since(m) {
		switch e["type"] {
		case "step":
			t.Errorf("watch acted on a crash-looping unikernel its shim is restarting: %v", e)
		case "pass":
			passes++
		}
	}
	if passes < 3 {
		t.Errorf("%d passes in 3 s with -resync 500ms, want more", passes)
	}
}

func TestLiveWatchKeepsBlocksAndTenders(t *testing.T) {
	h := newLiveHost(t)
	h.netImages()
	h.write("main.hcl", netConfig)
	w := h.watch("-resync", "1h")
	web := h.status("web")

	// The block and its unikernel leave the configuration.
	m := w.mark()
	h.save("main.hcl", bridgeOnly+webUnikernel("web", "192.0.2.2"))
	w.waitForSince(m, "db destroyed", isStep("unikernel.db", "done"))
	time.Sleep(300 * time.Millisecond)
	if _, err := os.Stat(h.dbdir.Block("data")); err != nil {
		t.Errorf("watch deleted a block the configuration dropped: %v", err)
	}
	for _, e := range w.since(m) {
		if e["address"] == "block.data" {
			t.Errorf("watch acted on the dropped block: %v", e)
		}
	}

	// SIGTERM: watch exits 0, the unikernels keep running, same pids.
	if err := w.stop(); err != nil {
		t.Errorf("watch exit after SIGTERM: %v, want status 0", err)
	}
	time.Sleep(200 * time.Millisecond)
	if st := h.status("web"); st.TenderPID != web.TenderPID || !alive(st.TenderPID) || st.State != datadir.StateRunning {
		t.Errorf("after watch stopped, web: pid %d (was %d), alive %v, state %s", st.TenderPID, web.TenderPID, alive(st.TenderPID), st.State)
	}
}

func TestLiveWatchMetrics(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("main.hcl", bridgeOnly+webUnikernel("web", "192.0.2.2"))
	// The configuration is a git work tree: its commit is the provenance.
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.name=roost", "-c", "user.email=roost@example.org", "-C", h.dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "host definitions")
	commit := git("rev-parse", "HEAD")
	w := h.watch("-resync", "1h", "-metrics-listen", "127.0.0.1:9772")
	w.waitFor("the metrics listener", func(e map[string]any) bool { return e["type"] == "metrics" })
	if err := h.ping("192.0.2.2"); err != nil { // some tap traffic
		t.Fatal(err)
	}

	// The namespace's loopback is reachable from a process inside it only.
	out, err := h.ns.Command(context.Background(), "curl", "-sS", "-m", "5", "http://127.0.0.1:9772/metrics").Output()
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(string(out)))
	if err != nil {
		t.Fatalf("parse the exposition: %v\n%s", err, out)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		f, ok := families[name]
		if !ok {
			return 0, false
		}
	metrics:
		for _, m := range f.Metric {
			for k, v := range labels {
				found := false
				for _, l := range m.Label {
					if l.GetName() == k && l.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
		return 0, false
	}
	web := map[string]string{"name": "web"}
	for _, c := range []struct {
		name   string
		labels map[string]string
		ok     func(float64) bool
	}{
		{"roost_unikernel_up", web, func(v float64) bool { return v == 1 }},
		{"roost_unikernel_state", map[string]string{"name": "web", "state": "running"}, func(v float64) bool { return v == 1 }},
		{"roost_unikernel_restarts_total", web, func(v float64) bool { return v == 0 }},
		{"roost_unikernel_rss_bytes", web, func(v float64) bool { return v > 0 }},
		{"roost_unikernel_cpu_seconds_total", web, func(v float64) bool { return v >= 0 }},
		{"roost_tap_receive_bytes_total", web, func(v float64) bool { return v > 0 }},
		{"roost_tap_transmit_bytes_total", web, func(v float64) bool { return v > 0 }},
		{"roost_reconcile_duration_seconds", nil, func(v float64) bool { return v >= 1 }},
		{"roost_reconcile_total", map[string]string{"result": "ok"}, func(v float64) bool { return v >= 1 }},
		{"roost_config_generation", nil, func(v float64) bool { return v == 1 }},
		{"roost_config_valid", nil, func(v float64) bool { return v == 1 }},
		{"roost_config_info", map[string]string{"dir": h.dir, "commit": commit}, func(v float64) bool { return v == 1 }},
	} {
		v, ok := value(c.name, c.labels)
		if !ok || !c.ok(v) {
			t.Errorf("%s%v = %v (present %v)", c.name, c.labels, v, ok)
		}
	}
	// roost status tells the same provenance.
	var st views.Status
	if err := json.Unmarshal([]byte(h.must("status", "-json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Applied == nil || st.Applied.Commit != commit || st.Applied.By != "roost watch" || st.Applied.Generation != 1 {
		t.Errorf("status -json applied = %+v, want commit %s by roost watch, generation 1", st.Applied, commit)
	}
	if out := h.must("status").stdout; !strings.Contains(out, "at commit "+commit[:12]) {
		t.Errorf("status does not name the commit:\n%s", out)
	}
	if _, ok := families["roost_drift_events_total"]; !ok {
		// Created at the first drift: the tap and bridge creation were
		// seen as link events.
		t.Errorf("roost_drift_events_total missing")
	}
}

func TestLiveWatchWithCLI(t *testing.T) {
	h := newLiveHost(t)
	h.image("web.hvt", solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "serve"})
	h.write("main.hcl", bridgeOnly+webUnikernel("web", "192.0.2.2"))
	w := h.watch("-resync", "1h")
	before := h.status("web")

	// plan and apply work while watch runs: the lock serializes them.
	if code, _ := h.detailedPlan(); code != 0 {
		t.Errorf("plan while watch runs: exit %d, want 0", code)
	}
	h.must("apply", "-auto-approve", "-replace", "web")
	after := h.status("web")
	if after.TenderPID == before.TenderPID {
		t.Errorf("apply -replace while watch runs did not replace web")
	}

	// SIGHUP asks for a pass; it finds nothing to undo.
	m := w.mark()
	w.cmd.Process.Signal(syscall.SIGHUP)
	e := w.waitForSince(m, "the SIGHUP pass", func(e map[string]any) bool {
		return e["type"] == "pass" && strings.Contains(fmt.Sprint(e["reasons"]), "SIGHUP")
	})
	if e["result"] != "noop" {
		t.Errorf("SIGHUP pass = %v, want noop", e)
	}
	if st := h.status("web"); st.TenderPID != after.TenderPID {
		t.Errorf("watch undid the replace: pid %d -> %d", after.TenderPID, st.TenderPID)
	}
}
