package apply

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/roostd/roost/plan"
)

// Loaded is a configuration as watch needs it.
type Loaded struct {
	Desired *plan.Desired
	// Fingerprint identifies the configuration's content: a reload with
	// the same fingerprint changes nothing.
	Fingerprint string
	// Commit is the git commit of the directory's work tree, if any.
	Commit string
}

// ConfigSource is where Watch gets its configuration from: it watches the
// configuration (a directory, the files it names), tells when the
// configuration may have changed, and loads it. Watch calls Load from its
// own goroutine only.
type ConfigSource interface {
	// Changed delivers, after the configuration has been quiet for a
	// while, the reasons a reload is due ("config changed: main.hcl",
	// "rescan", "configuration directory back"): one value per burst of
	// changes, so that one editor save makes one pass.
	Changed() <-chan []string
	// Errors delivers problems of watching the configuration, which the
	// source recovers from by itself; Watch reports them as KindError.
	Errors() <-chan error
	// Load reads the whole configuration. An invalid configuration is an
	// error, whose diagnostics Load has already reported.
	Load(ctx context.Context) (*Loaded, error)
}

// WatchHost is the host as Watch observes and changes it.
type WatchHost interface {
	// Host is what the passes' steps change.
	Host
	// ObserveFor reads the host for a plan of desired: the host as
	// Host.Observe reads it, with the tenders desired's unikernels need
	// looked up.
	ObserveFor(ctx context.Context, desired *plan.Desired) (*plan.Observed, error)
	// Lock takes the data directory's lock for one pass; roost apply and
	// plan take it between passes.
	Lock(ctx context.Context) (release func(), err error)
}

// DriftSource tells Watch when the host may have drifted from the
// configuration.
type DriftSource interface {
	// Drift delivers host drift (link events, shim exits) as messages
	// for people.
	Drift() <-chan string
	// Refresh is called after each pass that observed the host, so that
	// the source watches the shims now alive.
	Refresh()
}

// WatchConfig is what Watch needs.
type WatchConfig struct {
	Source ConfigSource
	Host   WatchHost
	// Drift, if not nil, says when the host drifted; without it only the
	// resyncs notice drift.
	Drift DriftSource
	// Trigger delivers explicit requests for a pass (SIGHUP) as reasons;
	// each reloads the configuration.
	Trigger <-chan string
	// Report receives what watch does, from Watch's goroutine or from a
	// step's.
	Report func(WatchEvent)
	// Resync is the period of full passes without any event; 0 means
	// DefaultResync.
	Resync time.Duration
	// Debounce is how long drift, retries and triggers must be quiet
	// before a pass; 0 means DefaultDebounce. The Source debounces
	// configuration changes itself.
	Debounce time.Duration
	// RetryFirst and RetryMax bound the delay before a failed resource is
	// tried again: RetryFirst, doubled per failure, up to RetryMax; 0 means
	// 1 s and 5 min.
	RetryFirst, RetryMax time.Duration
	// Apply tunes each pass's Run; its Progress is replaced.
	Apply Options
}

// Defaults of WatchConfig.
const (
	DefaultResync   = 30 * time.Second
	DefaultDebounce = 200 * time.Millisecond
)

// watcher is the state of one Watch; only Watch's goroutine uses it.
type watcher struct {
	cfg WatchConfig

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

// schedule is what the next pass is for and when it runs.
type schedule struct {
	debounce *time.Timer
	quiet    time.Duration
	reasons  []string
	notices  map[string]bool // reasons that are configuration notices
	reload   bool
}

// add records a reason for the next pass and puts the pass off until
// the events have been quiet (or runs it soon, with after 0).
func (s *schedule) add(reason string, notice, reload bool, after time.Duration) {
	if !slices.Contains(s.reasons, reason) {
		s.reasons = append(s.reasons, reason)
	}
	if notice {
		s.notices[reason] = true
	}
	s.reload = s.reload || reload
	s.debounce.Reset(after)
}

// Watch applies the configuration of cfg.Source, then keeps the host equal
// to it until ctx ends: passes run after the configuration changed, host
// drift, a trigger, a failed step's retry time, and every Resync. Each pass
// reads the whole configuration and the whole host. An invalid
// configuration is reported and the last good one stays in force. Blocks
// are never shrunk or deleted. When ctx ends, Watch finishes or abandons
// the current pass, releases the lock and returns nil; the unikernels keep
// running under their shims.
func Watch(ctx context.Context, cfg WatchConfig) error {
	if cfg.Source == nil || cfg.Host == nil {
		return errors.New("watch: no configuration source or host")
	}
	cfg = withDefaults(cfg)
	w := &watcher{cfg: cfg, retry: map[string]retryState{}, problems: map[string]bool{}}
	var drift <-chan string
	if cfg.Drift != nil {
		drift = cfg.Drift.Drift()
	}
	s := &schedule{debounce: time.NewTimer(0), // the first pass, at once
		quiet: cfg.Debounce, reasons: []string{ReasonStart}, notices: map[string]bool{}, reload: true}
	resync := time.NewTicker(cfg.Resync)
	defer resync.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case reasons := <-cfg.Source.Changed():
			// The source waited for quiet already.
			for _, r := range reasons {
				s.add(r, true, true, 0)
			}
		case err := <-cfg.Source.Errors():
			w.report(WatchEvent{Kind: KindError, Err: err})
		case msg := <-drift:
			s.add(ReasonDrift+msg, false, false, s.quiet)
		case msg := <-cfg.Trigger:
			s.add(msg, true, true, s.quiet)
		case <-resync.C:
			s.reasons = append(s.reasons, ReasonResync)
			s.reload = true
			s.debounce.Reset(0)
		case <-retry.C:
			s.add(ReasonRetry, false, false, s.quiet)
		case <-s.debounce.C:
			w.pass(ctx, s.reasons, s.notices, s.reload)
			s.reasons, s.notices, s.reload = nil, map[string]bool{}, false
			if next, ok := w.nextRetry(); ok && next.After(time.Now()) {
				retry.Reset(time.Until(next))
			}
		}
	}
}

func withDefaults(cfg WatchConfig) WatchConfig {
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
	return cfg
}

func (w *watcher) report(e WatchEvent) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if w.cfg.Report != nil {
		w.cfg.Report(e)
	}
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
