package apply

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
)

// Loaded is a configuration as watch needs it.
type Loaded struct {
	Desired *plan.Desired
	// Fingerprint identifies the configuration's content: a reload with
	// the same fingerprint changes nothing.
	Fingerprint string
	// Files are files outside the configuration's *.hcl that it depends
	// on (images, var files); their directories are watched too.
	Files []string
	// Commit is the git commit of the directory's work tree, if any.
	Commit string
}

// WatchConfig is what Watch needs. Functions are called from Watch's
// goroutine only.
type WatchConfig struct {
	// Dir is the configuration directory.
	Dir string
	// Load reads Dir. An invalid configuration is an error; Load reports
	// its diagnostics itself.
	Load func() (*Loaded, error)
	// Host is changed by passes.
	Host Host
	// Observe reads the host for a plan of desired (tenders included).
	Observe func(ctx context.Context, desired *plan.Desired) (*plan.Observed, error)
	// DBDir is the data directory, for specs.
	DBDir string
	// Lock takes the data directory's lock for a pass; CLI apply and plan
	// take it between passes.
	Lock func(ctx context.Context) (release func(), err error)
	// Drift delivers host drift (link events, shim exits) as messages.
	Drift <-chan string
	// Trigger delivers explicit requests for a pass (SIGHUP) as messages.
	Trigger <-chan string
	// Refresh is called after each pass that observed the host, so that
	// the drift source watches the shims now alive.
	Refresh func()
	// Resync is the period of full passes without any event; 0 means
	// DefaultResync.
	Resync time.Duration
	// Debounce is how long events must be quiet before a pass; 0 means
	// DefaultDebounce.
	Debounce time.Duration
	// RetryFirst and RetryMax bound the delay before a failed resource is
	// tried again: RetryFirst, doubled per failure, up to RetryMax; 0 means
	// 1 s and 5 min.
	RetryFirst, RetryMax time.Duration
	// Apply tunes each pass's Run; its Progress is replaced.
	Apply Options
	// Report receives what watch does.
	Report func(WatchEvent)
}

// Defaults of WatchConfig.
const (
	DefaultResync   = 30 * time.Second
	DefaultDebounce = 200 * time.Millisecond
)

// WatchEvent is one thing watch reports. Type is "config" (a change or
// reload of the configuration), "invalid" (a reload failed; the last good
// configuration stays in force), "drift", "problem" (a host check failed),
// "step" (an apply step ended), "pass" (a pass ended), or "error".
type WatchEvent struct {
	Time    time.Time
	Type    string
	Message string

	// For "step".
	Address  string
	Action   plan.Action
	Phase    Phase
	Detail   string // "image sha256 3f2a.. -> 91bc.."
	Duration time.Duration
	Err      error

	// For "pass" and "config".
	Generation int
	Commit     string
	Reasons    []string
	Changes    int
	Failed     int
	Result     string // "ok", "failed", "noop", "invalid", "blocked"
}

// watcher is the state of one Watch.
type watcher struct {
	cfg     WatchConfig
	fs      *fsnotify.Watcher
	watched map[string]bool // directories added to fs
	files   map[string]bool // files outside Dir whose changes count

	good       *Loaded // the last valid configuration
	generation int
	invalid    bool                  // the last load failed
	retry      map[string]retryState // by address
	problems   map[string]bool       // problems reported, so each is said once
}

type retryState struct {
	fails int
	next  time.Time
}

// Watch applies the configuration in cfg.Dir, then keeps the host equal to
// it until ctx ends: passes run after a change in the directory (200 ms of
// quiet), host drift, a trigger, a failed step's retry time, and every
// Resync. Each pass reads the whole configuration and the whole host. An
// invalid configuration is reported and the last good one stays in force.
// Blocks are never shrunk or deleted. When ctx ends, Watch finishes or
// abandons the current pass, releases the lock and returns nil; the
// unikernels keep running under their shims.
func Watch(ctx context.Context, cfg WatchConfig) error {
	if cfg.Resync <= 0 {
		cfg.Resync = DefaultResync
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.RetryFirst <= 0 {
		cfg.RetryFirst = time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 5 * time.Minute
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", cfg.Dir, err)
	}
	defer fsw.Close()
	w := &watcher{cfg: cfg, fs: fsw, watched: map[string]bool{}, files: map[string]bool{},
		retry: map[string]retryState{}, problems: map[string]bool{}}
	w.addWatch(cfg.Dir)

	debounce := time.NewTimer(0) // the first pass, at once
	resync := time.NewTicker(cfg.Resync)
	defer resync.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	dirPoll := time.NewTicker(time.Second)
	defer dirPoll.Stop()
	reasons := []string{"start"}
	reload := true
	add := func(reason string, config bool) {
		if !slices.Contains(reasons, reason) {
			reasons = append(reasons, reason)
		}
		reload = reload || config
		debounce.Reset(cfg.Debounce)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fsw.Events:
			if !ok {
				return nil
			}
			if name, relevant := w.relevant(ev); relevant {
				add("config changed: "+name, true)
			}
			if ev.Name == filepath.Clean(cfg.Dir) && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				delete(w.watched, filepath.Clean(cfg.Dir))
				w.report(WatchEvent{Type: "error", Message: fmt.Sprintf("configuration directory %s is gone; the last good configuration stays in force until it is back", cfg.Dir)})
			}
		case err, ok := <-fsw.Errors:
			if !ok {
				return nil
			}
			// Lost events (ErrEventOverflow) or a broken watch: look at
			// everything again, with fresh watches.
			w.report(WatchEvent{Type: "error", Message: fmt.Sprintf("watching %s: %v; rescanning", cfg.Dir, err)})
			w.rewatch()
			add("rescan", true)
		case <-dirPoll.C:
			if !w.watched[filepath.Clean(cfg.Dir)] {
				if w.addWatch(cfg.Dir) {
					add("configuration directory back", true)
				}
			}
		case msg := <-cfg.Drift:
			add("drift: "+msg, false)
		case msg := <-cfg.Trigger:
			add(msg, true)
		case <-resync.C:
			reasons = append(reasons, "resync")
			reload = true
			debounce.Reset(0)
		case <-retry.C:
			add("retry", false)
		case <-debounce.C:
			w.pass(ctx, reasons, reload)
			reasons, reload = nil, false
			if next, ok := w.nextRetry(); ok && next.After(time.Now()) {
				retry.Reset(time.Until(next))
			}
		}
	}
}

func (w *watcher) report(e WatchEvent) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if w.cfg.Report != nil {
		w.cfg.Report(e)
	}
}

// addWatch watches dir, reporting whether it could.
func (w *watcher) addWatch(dir string) bool {
	dir = filepath.Clean(dir)
	if w.watched[dir] {
		return true
	}
	if err := w.fs.Add(dir); err != nil {
		return false
	}
	w.watched[dir] = true
	return true
}

// rewatch drops every watch and adds them again.
func (w *watcher) rewatch() {
	for dir := range w.watched {
		w.fs.Remove(dir)
		delete(w.watched, dir)
	}
	w.addWatch(w.cfg.Dir)
	for f := range w.files {
		w.addWatch(filepath.Dir(f))
	}
}

// relevant says whether a file system event may change the configuration:
// a *.hcl file of Dir (not an editor temporary), or a file it depends on.
func (w *watcher) relevant(ev fsnotify.Event) (string, bool) {
	name := filepath.Clean(ev.Name)
	if ev.Op == fsnotify.Chmod {
		return "", false
	}
	if w.files[name] {
		return name, true
	}
	if filepath.Dir(name) != filepath.Clean(w.cfg.Dir) {
		return "", false
	}
	base := filepath.Base(name)
	if config.IgnoredName(base) || !strings.HasSuffix(base, ".hcl") {
		return "", false
	}
	return base, true
}

// nextRetry is the earliest time a failed resource may be tried again.
func (w *watcher) nextRetry() (time.Time, bool) {
	var next time.Time
	for _, r := range w.retry {
		if next.IsZero() || r.next.Before(next) {
			next = r.next
		}
	}
	return next, !next.IsZero()
}

// pass loads the configuration if asked to, then plans and applies.
func (w *watcher) pass(ctx context.Context, reasons []string, reload bool) {
	start := time.Now()
	for _, r := range reasons {
		switch {
		case strings.HasPrefix(r, "config changed: "), r == "rescan", r == "SIGHUP", r == "configuration directory back":
			w.report(WatchEvent{Type: "config", Message: r})
		}
	}
	if reload {
		w.load()
	}
	done := func(e WatchEvent) {
		e.Type = "pass"
		e.Generation = w.generation
		e.Reasons = reasons
		e.Duration = time.Since(start)
		if w.good != nil {
			e.Commit = w.good.Commit
		}
		w.report(e)
	}
	if w.good == nil {
		done(WatchEvent{Result: "invalid", Message: "no valid configuration yet"})
		return
	}
	release, err := w.cfg.Lock(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.report(WatchEvent{Type: "error", Message: err.Error()})
		}
		done(WatchEvent{Result: "failed", Message: err.Error()})
		return
	}
	defer release()
	o, err := w.cfg.Observe(ctx, w.good.Desired)
	if err != nil {
		w.report(WatchEvent{Type: "error", Message: err.Error()})
		done(WatchEvent{Result: "failed", Message: err.Error()})
		return
	}
	// Watch never shrinks or deletes a block, whatever the flags.
	p := plan.Make(plan.Input{Desired: w.good.Desired, Observed: o})
	if blocked := w.problems1(p); blocked {
		done(WatchEvent{Result: "blocked", Message: "a host-wide check failed; nothing applied"})
		return
	}
	if w.cfg.Refresh != nil {
		// Shims started by others (roost apply beside watch) are
		// watched from now on too.
		defer w.cfg.Refresh()
	}
	// A resource that failed before and needs nothing now (its tender
	// ended under its policy, say) is no longer retried.
	planned := map[string]bool{}
	for _, c := range p.Changes {
		planned[c.Address()] = true
	}
	for a := range w.retry {
		if !planned[a] {
			delete(w.retry, a)
		}
	}
	w.dropRetrying(p)
	if p.Empty() {
		done(WatchEvent{Result: "noop"})
		return
	}
	// Drift is said only when it changed something: most link events and
	// shim exits are the echoes of watch's own passes.
	for _, r := range reasons {
		if strings.HasPrefix(r, "drift: ") {
			w.report(WatchEvent{Type: "drift", Message: r})
		}
	}
	details := map[string]string{}
	for i := range p.Changes {
		details[p.Changes[i].Address()] = changeDetail(&p.Changes[i])
	}
	opts := w.cfg.Apply
	opts.Progress = func(e Event) {
		if e.Phase == PhaseStart {
			return
		}
		w.report(WatchEvent{Type: "step", Address: e.Address, Action: e.Action, Phase: e.Phase, Detail: details[e.Address], Duration: e.Duration, Err: e.Err})
	}
	res, runErr := Run(ctx, w.cfg.Host, p, opts)
	now := time.Now()
	for _, a := range res.Done {
		delete(w.retry, a)
	}
	for _, a := range append(append([]string(nil), res.Failed...), res.Skipped...) {
		r := w.retry[a]
		r.fails++
		r.next = now.Add(min(w.cfg.RetryFirst<<min(r.fails-1, 30), w.cfg.RetryMax))
		w.retry[a] = r
	}
	if err := PruneImages(ctx, w.cfg.Host); err != nil && ctx.Err() == nil {
		w.report(WatchEvent{Type: "error", Message: fmt.Sprintf("prune images: %v", err)})
	}
	result := "ok"
	if runErr != nil {
		result = "failed"
	}
	done(WatchEvent{Result: result, Changes: len(p.Changes), Failed: len(res.Failed) + len(res.Skipped)})
}

// load reads the configuration; a valid one with new content becomes the
// next generation.
func (w *watcher) load() {
	l, err := w.cfg.Load()
	if err != nil {
		msg := fmt.Sprintf("configuration in %s is invalid: %v", w.cfg.Dir, err)
		if w.good != nil {
			msg += fmt.Sprintf("; generation %d stays in force", w.generation)
		}
		w.report(WatchEvent{Type: "invalid", Message: msg, Generation: w.generation})
		w.invalid = true
		return
	}
	wasInvalid := w.invalid
	w.invalid = false
	for _, f := range l.Files {
		f = filepath.Clean(f)
		if !w.files[f] {
			w.files[f] = true
			w.addWatch(filepath.Dir(f))
		}
	}
	if w.good != nil && w.good.Fingerprint == l.Fingerprint {
		w.good.Commit = l.Commit
		if wasInvalid {
			w.report(WatchEvent{Type: "config", Message: fmt.Sprintf("configuration valid again, as generation %d", w.generation), Generation: w.generation, Commit: l.Commit})
		}
		return
	}
	w.good = l
	w.generation++
	w.problems = map[string]bool{}
	// A new configuration deserves a new try at once.
	w.retry = map[string]retryState{}
	msg := fmt.Sprintf("configuration generation %d: %s, %s, %s", w.generation,
		count(len(l.Desired.Unikernels), "unikernel"), count(len(l.Desired.Bridges), "bridge"), count(len(l.Desired.Blocks), "block"))
	if l.Commit != "" {
		msg += " at commit " + shortHash(l.Commit)
	}
	w.report(WatchEvent{Type: "config", Message: msg, Generation: w.generation, Commit: l.Commit})
}

// problems1 reports a plan's failed host checks (each once per
// configuration generation) and removes the changes of the resources they
// concern, so that one unikernel without its tender does not hold back the
// others. It reports whether a host-wide check failed: then nothing is
// applied.
func (w *watcher) problems1(p *plan.Plan) (blocked bool) {
	bad := map[string]bool{}
	for _, pr := range p.Problems {
		if !w.problems[pr.String()] {
			w.problems[pr.String()] = true
			w.report(WatchEvent{Type: "problem", Message: pr.String()})
		}
		if pr.Resource == "host" {
			blocked = true
		}
		bad[pr.Resource] = true
	}
	keep := p.Changes[:0]
	for _, c := range p.Changes {
		if !bad[c.Address()] {
			keep = append(keep, c)
		}
	}
	p.Changes = keep
	return blocked
}

// dropRetrying removes the changes of resources whose retry time has not
// come, so that a failing step is retried with backoff, not in a hot loop.
func (w *watcher) dropRetrying(p *plan.Plan) {
	now := time.Now()
	keep := p.Changes[:0]
	for _, c := range p.Changes {
		if r, ok := w.retry[c.Address()]; ok && now.Before(r.next) {
			continue
		}
		keep = append(keep, c)
	}
	p.Changes = keep
}

// changeDetail says briefly what a change changes: "image sha256
// 3f2a5b0c.. -> 91bc7d2e..", "memory 32 MiB -> 64 MiB", or its reason.
func changeDetail(c *plan.Change) string {
	var parts []string
	for _, f := range c.Fields {
		if f.Before == "" || f.After == "" {
			continue
		}
		if f.Name == "image" && c.Prior != nil && c.Prior.Spec != nil && c.Spec != nil {
			parts = append(parts, fmt.Sprintf("image sha256 %s.. -> %s..", shortHash(c.Prior.Spec.ImageSHA256), shortHash(c.Spec.ImageSHA256)))
			continue
		}
		if len(f.Before)+len(f.After) > 80 {
			parts = append(parts, f.Name)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s -> %s", f.Name, f.Before, f.After))
	}
	if len(parts) == 0 {
		return strings.Join(c.Reasons, "; ")
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// count says "1 unikernel", "2 unikernels".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func shortHash(h string) string {
	if len(h) > 8 {
		return h[:8]
	}
	return h
}
