package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planjson"
	"github.com/roostd/roost/platform"
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

func runWatch(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "watch", "[DIR] [-metrics-listen ADDR] [-json] [-resync D]", watchHelp)
	var lf loadFlags
	lf.register(fs)
	listen := fs.String("metrics-listen", "", "serve Prometheus metrics on `ADDR` (host:port)")
	jsonOut := fs.Bool("json", false, "report events as JSON lines")
	resync := fs.Duration("resync", apply.DefaultResync, "period of full passes without events")
	parallelism := fs.Int("parallelism", 10, "how many steps of a pass may run at once")
	lockTimeout := fs.Duration("lock-timeout", 5*time.Minute, "how long a pass waits for the data directory's lock")
	dir, err := parseDirArgs(fs, args)
	if err != nil {
		return err
	}
	dir = absDir(dir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("watch: %s is not a directory", dir)
	}

	// The data directory and tender directories come from the
	// configuration as first read. An invalid one at start lets watch
	// start (and wait for a fix) only when -dbdir or ROOST_DBDIR names the
	// data directory: the roost block could name another.
	first, diags := config.Load(dir, lf.options())
	if diags.HasErrors() {
		if g.dbdir == "" && os.Getenv("ROOST_DBDIR") == "" {
			if err := g.printDiagnostics(diags, first.Files, "invalid configuration in "+dir); err != nil {
				return fmt.Errorf("%w; watch starts with an invalid configuration only when -dbdir or ROOST_DBDIR names the data directory", err)
			}
		}
		first = nil
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

	out := newWatchOutput(g, dir, *jsonOut)
	metrics := newWatchMetrics(s)
	if err := serveMetrics(ctx, *listen, metrics, out); err != nil {
		return err
	}

	drift := make(chan string, 64)
	refresh := func() {}
	pdrift := make(chan platform.Drift, 64)
	if r, err := s.host.WatchDrift(ctx, pdrift); err != nil {
		out.line(slog.LevelWarn, "drift", fmt.Sprintf("%v; relying on the %s resync", err, *resync), nil)
	} else {
		refresh = r
	}
	go func() {
		for {
			select {
			case d := <-pdrift:
				metrics.drift.WithLabelValues(d.Kind).Inc()
				select {
				case drift <- d.Message:
				default: // a pass is due anyway
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	trigger := make(chan string, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
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
	}()

	cache := config.NewImageCache()
	cfg := apply.WatchConfig{
		Dir: dir,
		Load: func() (*apply.Loaded, error) {
			opts := lf.options()
			opts.Images = cache
			cfg, diags := config.Load(dir, opts)
			if diags.HasErrors() {
				out.diagnostics(diags, cfg.Files)
				return nil, fmt.Errorf("%d error%s", len(diags.Errs()), plural(len(diags.Errs())))
			}
			if !slices.Equal(cfg.Settings.Tenders, openedTenders) || g.dbdirFor(cfg) != string(s.dbdir) {
				// The Host was opened with the first settings; another
				// data directory is another host.
				return nil, errors.New("the roost block (dbdir, tenders) changed; restart roost watch to use it")
			}
			s.cfg = cfg
			l := &apply.Loaded{Desired: &cfg.Desired, Fingerprint: loadFingerprint(cfg), Files: dependencies(cfg, lf.varFiles)}
			l.Commit, _ = config.GitCommit(dir)
			return l, nil
		},
		Host: s.host,
		Observe: func(ctx context.Context, d *plan.Desired) (*plan.Observed, error) {
			return s.observe(ctx)
		},
		DBDir: string(s.dbdir),
		Lock: func(ctx context.Context) (func(), error) {
			return s.host.Lock(ctx, true, *lockTimeout)
		},
		Drift:   drift,
		Trigger: trigger,
		Refresh: refresh,
		Resync:  *resync,
		Apply:   apply.Options{Parallelism: *parallelism},
		Report: func(e apply.WatchEvent) {
			metrics.observe(dir, e)
			out.event(e)
			if e.Type == "pass" && e.Result != "invalid" && e.Result != "noop" && e.Generation > 0 {
				writeProvenance(s.dbdir, provenance{Dir: dir, Commit: e.Commit, Generation: e.Generation,
					AppliedAt: e.Time.UTC(), By: "roost watch", Result: e.Result})
			}
		},
	}
	out.line(slog.LevelInfo, "start", fmt.Sprintf("watching %s (data directory %s)", dir, s.dbdir), nil)
	err = apply.Watch(ctx, cfg)
	out.line(slog.LevelInfo, "stop", "stopped; the unikernels keep running under their shims", nil)
	return err
}

// loadFingerprint identifies the configuration's content for watch: the
// desired host (image digests included) and the settings.
func loadFingerprint(cfg *config.Config) string {
	return plan.Digest(struct {
		Desired  plan.Desired
		Settings config.Settings
	}{cfg.Desired, cfg.Settings})
}

// dependencies are the files besides *.hcl whose change changes the
// configuration: images, block sources, var files.
func dependencies(cfg *config.Config, varFiles []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for p := range cfg.Images {
		add(p)
	}
	for _, b := range cfg.Desired.Blocks {
		add(b.Source)
	}
	for _, f := range varFiles {
		add(absDir(f))
	}
	return out
}

// serveMetrics serves the metrics on addr, or on the socket systemd
// handed over; neither is no error.
func serveMetrics(ctx context.Context, addr string, m *watchMetrics, out *watchOutput) error {
	var l net.Listener
	ls, err := platform.SystemdListeners()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	switch {
	case addr != "":
		l, err = net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	case len(ls) > 0:
		l = ls[0]
	default:
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/metrics", http.StatusFound)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})
	out.line(slog.LevelInfo, "metrics", "serving metrics on http://"+l.Addr().String()+"/metrics", nil)
	return nil
}

// provenance is dbdir/applied.json: which configuration the host was
// last brought to, when and by what, for roost status. Commit is the git
// commit of the directory's work tree; Generation counts watch's reloads
// (0 for roost apply).
type provenance struct {
	Dir        string    `json:"dir"`
	Commit     string    `json:"commit,omitempty"`
	Generation int       `json:"generation,omitempty"`
	AppliedAt  time.Time `json:"applied_at"`
	By         string    `json:"by"`
	Result     string    `json:"result"`
}

func provenanceFile(dbdir platform.DBDir) string { return filepath.Join(string(dbdir), "applied.json") }

// writeProvenance records p; failing to is not worth failing a pass for.
func writeProvenance(dbdir platform.DBDir, p provenance) {
	platform.WriteJSON(provenanceFile(dbdir), p)
}

// watchOutput reports watch's events through log/slog: a line each for
// people, or JSON lines (format_version 1) for log shippers.
type watchOutput struct {
	g      *globals
	dir    string
	json   bool
	colors bool
	log    *slog.Logger

	mu sync.Mutex // serializes diagnostics with the lines of log
}

func newWatchOutput(g *globals, dir string, jsonOut bool) *watchOutput {
	o := &watchOutput{g: g, dir: dir, json: jsonOut, colors: g.colorOK(g.stdout)}
	if jsonOut {
		o.log = slog.New(slog.NewJSONHandler(lockedWriter{&o.mu, g.stdout}, &slog.HandlerOptions{
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				switch a.Key {
				case slog.MessageKey:
					a.Key = "message"
				case slog.TimeKey:
					a.Value = slog.StringValue(a.Value.Time().UTC().Format(time.RFC3339Nano))
				}
				return a
			},
		})).With("format_version", planjson.FormatVersion)
	} else {
		o.log = slog.New(&lineHandler{mu: &o.mu, w: g.stdout})
	}
	return o
}

func (o *watchOutput) line(level slog.Level, kind, msg string, extra map[string]any) {
	attrs := []slog.Attr{slog.String("type", kind)}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, extra[k]))
	}
	o.log.LogAttrs(context.Background(), level, msg, attrs...)
}

// lineHandler is the slog handler of watch's human output: the time and
// the message, nothing else (the attributes are for -json).
type lineHandler struct {
	mu *sync.Mutex
	w  io.Writer
}

func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *lineHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *lineHandler) WithGroup(string) slog.Handler            { return h }
func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintf(h.w, "%s %s\n", r.Time.Format("15:04:05.000"), r.Message)
	return err
}

// lockedWriter serializes writes to w under mu.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// diagnostics prints why the configuration is invalid, with file, line
// and source, or as one JSON line holding them.
func (o *watchOutput) diagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) {
	if o.json {
		o.line(slog.LevelError, "diagnostics", fmt.Sprintf("%d problems in the configuration", len(diags)),
			map[string]any{"diagnostics": views.JSONDiagnostics(diags, files)})
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	views.WriteDiagnostics(o.g.stdout, diags, files, o.colors)
}

func (o *watchOutput) event(e apply.WatchEvent) {
	extra := map[string]any{}
	level := slog.LevelInfo
	msg := e.Message
	switch e.Type {
	case "step":
		extra["address"] = e.Address
		extra["action"] = e.Action.Name()
		extra["phase"] = string(e.Phase)
		extra["duration_ms"] = e.Duration.Milliseconds()
		name := strings.TrimPrefix(e.Address, plan.KindUnikernel+".")
		switch e.Phase {
		case apply.PhaseDone:
			msg = fmt.Sprintf("%s: %s", name, views.Done(e.Action.Name()))
			if e.Detail != "" {
				msg += " (" + e.Detail + ")"
				extra["detail"] = e.Detail
			}
			msg += fmt.Sprintf(" in %d ms", e.Duration.Milliseconds())
		default:
			level = slog.LevelError
			msg = fmt.Sprintf("%s: %s: %v", name, e.Phase, e.Err)
			extra["error"] = fmt.Sprint(e.Err)
		}
	case "pass":
		extra["generation"] = e.Generation
		extra["result"] = e.Result
		extra["changes"] = e.Changes
		extra["failed"] = e.Failed
		extra["duration_ms"] = e.Duration.Milliseconds()
		extra["reasons"] = e.Reasons
		if e.Commit != "" {
			extra["commit"] = e.Commit
		}
		if e.Result == "noop" && !o.json {
			if !o.g.verbose {
				return
			}
			msg = fmt.Sprintf("pass: no changes (%s)", strings.Join(e.Reasons, ", "))
			break
		}
		if msg == "" {
			msg = fmt.Sprintf("pass: %d change%s, %s in %d ms", e.Changes, plural(e.Changes), e.Result, e.Duration.Milliseconds())
		}
		if e.Result == "failed" {
			level = slog.LevelError
		}
	case "invalid", "problem", "error":
		level = slog.LevelError
	case "config":
		if e.Generation > 0 {
			extra["generation"] = e.Generation
		}
		if e.Commit != "" {
			extra["commit"] = e.Commit
		}
	}
	o.line(level, e.Type, msg, extra)
}
