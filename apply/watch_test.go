package apply_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/plan"
)

// watchRun is Watch running against a fake host and a fake
// configuration source that reads the unikernel names, one per line, from
// DIR/main.hcl ("!" makes the configuration invalid).
type watchRun struct {
	dir    string
	host   *fakeHost
	source *fakeSource
	wh     *fakeWatchHost
	cancel context.CancelFunc
	done   chan error

	mu     sync.Mutex // guards events
	events []apply.WatchEvent
}

// fakeSource is a ConfigSource that tells of each write of main.hcl at
// once; the real source's rules (editor temporaries, quiet time) are
// config's and tested there.
type fakeSource struct {
	dir     string
	changed chan []string
	errs    chan error
}

func (s *fakeSource) Changed() <-chan []string { return s.changed }
func (s *fakeSource) Errors() <-chan error     { return s.errs }

func (s *fakeSource) Load(context.Context) (*apply.Loaded, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, "main.hcl"))
	if err != nil {
		return nil, err
	}
	if strings.Contains(string(b), "!") {
		return nil, errors.New("syntax error")
	}
	d := &plan.Desired{}
	for _, name := range strings.Fields(string(b)) {
		d.Unikernels = append(d.Unikernels, unikernel(name, nil, nil))
	}
	return &apply.Loaded{Desired: d, Fingerprint: plan.Digest(d)}, nil
}

// fakeWatchHost is the fake host as Watch sees it; it records the
// desired configurations it was asked to observe for.
type fakeWatchHost struct {
	*fakeHost

	mu      sync.Mutex // guards desired
	desired []*plan.Desired
}

func (h *fakeWatchHost) ObserveFor(ctx context.Context, d *plan.Desired) (*plan.Observed, error) {
	h.mu.Lock()
	h.desired = append(h.desired, d)
	h.mu.Unlock()
	return h.Observe(ctx)
}

func (h *fakeWatchHost) Lock(context.Context) (func(), error) { return func() {}, nil }

// observedFor returns the unikernel names of each configuration observed
// for, space-separated.
func (h *fakeWatchHost) observedFor() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, d := range h.desired {
		var names []string
		for _, u := range d.Unikernels {
			names = append(names, u.Name)
		}
		out = append(out, strings.Join(names, " "))
	}
	return out
}

func startWatch(t *testing.T, h *fakeHost, content string) *watchRun {
	return startWatchRetry(t, h, content, 0)
}

func startWatchRetry(t *testing.T, h *fakeHost, content string, retry time.Duration) *watchRun {
	t.Helper()
	w := &watchRun{dir: t.TempDir(), host: h, done: make(chan error, 1)}
	w.write(t, "main.hcl", content) // before the source exists: no notice
	w.source = &fakeSource{dir: w.dir, changed: make(chan []string, 16), errs: make(chan error)}
	w.wh = &fakeWatchHost{fakeHost: h}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	cfg := apply.WatchConfig{
		Source:     w.source,
		Host:       w.wh,
		Resync:     time.Hour,
		Debounce:   20 * time.Millisecond,
		RetryFirst: retry,
		Report: func(e apply.WatchEvent) {
			w.mu.Lock()
			w.events = append(w.events, e)
			w.mu.Unlock()
		},
	}
	go func() { w.done <- apply.Watch(ctx, cfg) }()
	t.Cleanup(func() { w.stop(t) })
	w.waitPasses(t, 1)
	return w
}

func (w *watchRun) write(t *testing.T, name, content string) {
	t.Helper()
	tmp := filepath.Join(w.dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(w.dir, name)); err != nil {
		t.Fatal(err)
	}
	if name == "main.hcl" && w.source != nil {
		w.source.changed <- []string{"config changed: " + name}
	}
}

func (w *watchRun) stop(t *testing.T) {
	w.cancel()
	select {
	case err := <-w.done:
		if err != nil {
			t.Errorf("Watch = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("Watch did not return after cancel")
	}
	w.done <- nil // a second stop returns at once
}

func (w *watchRun) passes() []apply.WatchEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []apply.WatchEvent
	for _, e := range w.events {
		if e.Kind == apply.KindPass {
			out = append(out, e)
		}
	}
	return out
}

// has says whether an event of kind k was reported whose rendering
// contains substr.
func (w *watchRun) has(k apply.EventKind, substr string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		if e.Kind == k && strings.Contains(message(e), substr) {
			return true
		}
	}
	return false
}

// message is the gist of what views says of an event, for has.
func message(e apply.WatchEvent) string {
	switch {
	case e.Kind == apply.KindInvalid && e.Generation > 0:
		return fmt.Sprintf("%v; generation %d stays in force", e.Err, e.Generation)
	case e.Kind == apply.KindConfig && e.Reason == "" && e.Desired == nil:
		return fmt.Sprintf("configuration valid again, as generation %d", e.Generation)
	}
	return e.Reason
}

func (w *watchRun) waitPasses(t *testing.T, n int) []apply.WatchEvent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if p := w.passes(); len(p) >= n {
			return p
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d passes: %+v", n, w.passes())
	return nil
}

func TestWatchLoop(t *testing.T) {
	h := newFakeHost()
	w := startWatch(t, h, "a1\n")
	if p := w.passes(); p[0].Result != apply.PassOK || p[0].Generation != 1 || !strings.Contains(h.String(), "start a1") {
		t.Fatalf("first pass = %+v, host:\n%s", p[0], h)
	}

	// phase: a change starts the new unikernel, in one pass
	w.write(t, "main.hcl", "a1\nb1\n")
	p := w.waitPasses(t, 2)
	if p[1].Generation != 2 || !strings.Contains(strings.Join(p[1].Reasons, ","), "config changed: main.hcl") || !strings.Contains(h.String(), "start b1") {
		t.Errorf("pass after a change = %+v, host:\n%s", p[1], h)
	}

	// phase: editor temporaries and other files cause no pass
	w.write(t, "main.hcl~", "c1\n")
	w.write(t, "notes.txt", "c1\n")
	time.Sleep(100 * time.Millisecond)
	if n := len(w.passes()); n != 2 {
		t.Errorf("temporaries caused %d more passes", n-2)
	}

	// phase: an invalid configuration keeps the last good one
	w.write(t, "main.hcl", "a1\n!\n")
	w.waitPasses(t, 3)
	if !w.has(apply.KindInvalid, "generation 2 stays in force") || strings.Contains(h.String(), "stop b1") {
		t.Errorf("invalid configuration: events %+v, host:\n%s", w.events, h)
	}

	// phase: the same content again is no new generation
	w.write(t, "main.hcl", "a1\nb1\n")
	p = w.waitPasses(t, 4)
	if p[3].Generation != 2 || p[3].Result != apply.PassNoop || !w.has(apply.KindConfig, "valid again") {
		t.Errorf("pass after fixing back = %+v", p[3])
	}
}

func TestWatchRetriesWithBackoff(t *testing.T) {
	h := newFakeHost()
	h.failOn["start b1"] = errBoom
	startWatchRetry(t, h, "a1\nb1\n", 100*time.Millisecond)
	// Failed at the first pass, then retried after 100, 200, 400 ms: at
	// 0, 0.1, 0.3 and 0.7 s, not in a hot loop.
	time.Sleep(900 * time.Millisecond)
	if starts := strings.Count(h.String(), "start b1"); starts != 4 {
		t.Errorf("b1 was started %d times in 0.9 s, want 4 (at 0, 0.1, 0.3, 0.7 s)", starts)
	}
	if strings.Count(h.String(), "start a1") != 1 {
		t.Errorf("a1, which succeeded, was started again:\n%s", h)
	}
	// Once it works (the retry at 1.5 s), it stays done.
	h.mu.Lock()
	delete(h.failOn, "start b1")
	h.mu.Unlock()
	time.Sleep(1500 * time.Millisecond)
	if got := strings.Count(h.String(), "start b1"); got != 5 {
		t.Errorf("b1 started %d times, want a 5th, successful start and no more", got)
	}
}

// TestWatchNoRetryOfWhatIsDone: a step fails, then the resource needs no
// change any more (here: it left the configuration). Watch must not keep
// passing for its stale retry.
func TestWatchNoRetryOfWhatIsDone(t *testing.T) {
	h := newFakeHost()
	h.failOn["start b1"] = errBoom
	w := startWatchRetry(t, h, "a1\nb1\n", 100*time.Millisecond)
	w.write(t, "main.hcl", "a1\n")
	w.waitPasses(t, 2)
	time.Sleep(700 * time.Millisecond)
	if n := len(w.passes()); n > 3 {
		t.Errorf("%d passes in 0.7 s after the failing resource left the configuration, want at most 3: %+v", n, w.passes())
	}
}

// TestWatchObservesForDesired: each pass observes the host for the
// configuration in force, the last good one while a reload is invalid.
func TestWatchObservesForDesired(t *testing.T) {
	w := startWatch(t, newFakeHost(), "a1\n")
	w.write(t, "main.hcl", "a1\nb1\n")
	w.waitPasses(t, 2)
	w.write(t, "main.hcl", "a1\n!\n")
	w.waitPasses(t, 3)
	got := w.wh.observedFor()
	want := []string{"a1", "a1 b1", "a1 b1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ObserveFor's desired unikernels (-want +got):\n%s", diff)
	}
}
