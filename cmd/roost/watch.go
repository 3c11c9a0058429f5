package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/datadir"
)

const watchHelp = `
Apply the configuration in DIR (default: the current directory), then keep
the host equal to it until SIGINT or SIGTERM. A pass runs when a *.hcl file
of DIR (or an image it names) changes and has been quiet for 200 ms, when
the host drifts (a roost tap or bridge removed, a shim exited), on SIGHUP,
after a failed step's retry delay, and every -resync. Each pass reads the
whole configuration and the whole host.

An invalid configuration is reported and the last good one stays in force.
Watch never shrinks or deletes a block, and leaves a unikernel its restart
policy ended alone until its configuration changes (or roost apply -replace
starts it). roost apply and plan keep working while watch runs: the data
directory's lock serializes them.

On exit the unikernels keep running under their shims. Metrics in the
Prometheus format are served on -metrics-listen, or on a socket handed over
by systemd (LISTEN_FDS).`

// watchFlags are roost watch's own flags.
type watchFlags struct {
	lf          loadFlags
	listen      string
	json        bool
	resync      time.Duration
	parallelism int
	lockTimeout time.Duration
}

func parseWatchFlags(g *globals, args []string) (string, *watchFlags, error) {
	fs := newFlagSet(g, "watch", "[DIR] [-metrics-listen ADDR] [-json] [-resync D]", watchHelp)
	wf := &watchFlags{}
	wf.lf.register(fs)
	fs.StringVar(&wf.listen, "metrics-listen", "", "serve Prometheus metrics on `ADDR` (host:port)")
	fs.BoolVar(&wf.json, "json", false, "report events as JSON lines")
	fs.DurationVar(&wf.resync, "resync", apply.DefaultResync, "period of full passes without events")
	fs.IntVar(&wf.parallelism, "parallelism", apply.DefaultParallelism, "how many steps of a pass may run at once")
	fs.DurationVar(&wf.lockTimeout, "lock-timeout", 5*time.Minute, "how long a pass waits for the data directory's lock")
	dir, err := parseDirArgs(fs, args)
	if err != nil {
		return "", nil, err
	}
	dir = absDir(dir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", nil, fmt.Errorf("watch: %s is not a directory", dir)
	}
	return dir, wf, nil
}

func runWatch(ctx context.Context, g *globals, args []string) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100) // watch runs for good: the default heap bound
	}
	dir, wf, err := parseWatchFlags(g, args)
	if err != nil {
		return err
	}
	lf := &wf.lf

	// The data directory and tender directories come from the
	// configuration as first read. An invalid one at start lets watch
	// start (and wait for a fix) only when -dbdir or ROOST_DBDIR names the
	// data directory: the roost block could name another.
	first, err := g.loadForDBDir(dir, lf)
	if err != nil {
		return fmt.Errorf("%w; watch starts with an invalid configuration only when -dbdir or ROOST_DBDIR names the data directory", err)
	}
	s, err := g.openHost(dir, first)
	if err != nil {
		return err
	}
	var openedTenders []string
	if first != nil {
		openedTenders = first.Settings.Tenders
	}
	defer s.host.Close()
	if err := s.dbdir.Init(); err != nil {
		return err
	}
	return watch(ctx, g, s, wf, openedTenders)
}

// watch wires the watch loop to the host, the directory, the signals, the
// view and the metrics, and runs it until ctx ends.
func watch(ctx context.Context, g *globals, s *session, wf *watchFlags, openedTenders []string) error {
	view := views.NewWatch(g.stdout, views.WatchOptions{Dir: s.dir, JSON: wf.json, Verbose: g.verbose, Colors: g.colorOK(g.stdout)})
	// The metrics server and the goroutines below end with ctx, before
	// watch returns.
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metrics := newWatchMetrics(s)
	if err := serveMetrics(ctx, wf.listen, metrics, view); err != nil {
		return err
	}
	src, err := newWatchSource(g, s, &wf.lf, openedTenders, view)
	if err != nil {
		return err
	}
	defer src.Close()
	r := &watchReport{dir: s.dir, dbdir: s.dbdir, view: view, metrics: metrics}
	cfg := apply.WatchConfig{
		Source:  src,
		Host:    watchHost{host: s.host, s: s, lockTimeout: wf.lockTimeout},
		Drift:   watchDrift(ctx, &wg, s, metrics, view, wf.resync),
		Trigger: notifyHUP(ctx, &wg),
		Report:  r.report,
		Resync:  wf.resync,
		Apply:   apply.Options{Parallelism: wf.parallelism},
	}
	view.Started(string(s.dbdir))
	err = apply.Watch(ctx, cfg)
	view.Stopped()
	return err
}

// watchHost is the platform host as the watch loop sees it: observed for
// the configuration the loop has in force, locked for each pass.
type watchHost struct {
	host
	s           *session
	lockTimeout time.Duration
}

func (h watchHost) ObserveFor(ctx context.Context, desired *plan.Desired) (*plan.Observed, error) {
	return h.s.observeFor(ctx, desired)
}

func (h watchHost) Lock(ctx context.Context) (func(), error) {
	release, err := h.host.Lock(ctx, true, h.lockTimeout)
	if err == nil {
		h.s.removeTemps()
	}
	return release, err
}

// hostDrift is the platform's drift as the watch loop sees it.
type hostDrift struct {
	drift   chan string
	refresh func()
}

func (d *hostDrift) Drift() <-chan string { return d.drift }
func (d *hostDrift) Refresh()             { d.refresh() }

// watchDrift watches the host for drift until ctx ends, counting each in
// the metrics. Where the host cannot be watched it says so and returns
// nil: the resyncs notice drift then.
func watchDrift(ctx context.Context, wg *sync.WaitGroup, s *session, m *watchMetrics, view *views.Watch, resync time.Duration) apply.DriftSource {
	pdrift := make(chan platform.Drift, 64)
	refresh, err := s.host.WatchDrift(ctx, pdrift)
	if err != nil {
		view.NoDrift(err, resync)
		return nil
	}
	d := &hostDrift{drift: make(chan string, 64), refresh: refresh}
	wg.Go(func() {
		for {
			select {
			case pd := <-pdrift:
				m.drift.WithLabelValues(pd.Kind).Inc()
				select {
				case d.drift <- pd.Message:
				default: // a pass is due anyway
				}
			case <-ctx.Done():
				return
			}
		}
	})
	return d
}

// notifyHUP turns SIGHUP into requests for a pass until ctx ends.
func notifyHUP(ctx context.Context, wg *sync.WaitGroup) <-chan string {
	trigger := make(chan string, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	wg.Go(func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-hup:
				select {
				case trigger <- "SIGHUP":
				default:
				}
			case <-ctx.Done():
				return
			}
		}
	})
	return trigger
}

// watchReport hands watch's events to the view, the metrics and
// applied.json.
type watchReport struct {
	dir     string
	dbdir   datadir.Dir
	view    *views.Watch
	metrics *watchMetrics
}

func (r *watchReport) report(e apply.WatchEvent) {
	r.metrics.observe(r.dir, e)
	r.view.Event(e)
	if e.Kind == apply.KindPass && e.Result != apply.PassInvalid && e.Result != apply.PassNoop && e.Generation > 0 {
		writeProvenance(r.dbdir, datadir.Applied{Dir: r.dir, Commit: e.Commit, Generation: e.Generation,
			AppliedAt: e.Time.UTC(), By: "roost watch", Result: string(e.Result)})
	}
}
