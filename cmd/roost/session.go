package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/shim"
	"github.com/roostd/roost/platform/solo5"
)

// session is one command's view of a configuration and a host: the loaded
// directory, the data directory and the host.
type session struct {
	g     *globals
	dir   string
	cfg   *config.Config
	dbdir datadir.Dir
	host  host
	pre   *prefetch // an observation made while cfg loaded, or nil
}

// openSession loads dir (printing its diagnostics; errors end the command)
// and opens the host.
func (g *globals) openSession(dir string, lf *loadFlags) (*session, error) {
	cfg, diags := config.Load(dir, lf.options())
	if err := g.printDiagnostics(diags, cfg.Files, "invalid configuration in "+dir); err != nil {
		return nil, err
	}
	return g.openHost(dir, cfg)
}

// openHost opens the host for cfg (nil: no configuration).
func (g *globals) openHost(dir string, cfg *config.Config) (*session, error) {
	dbdir := datadir.Dir(g.dbdirFor(cfg))
	var tenders []string
	var uids [2]int
	if cfg != nil {
		tenders, uids = cfg.Settings.Tenders, cfg.Settings.UIDs
	}
	host, err := g.newHost(hostOptions{DBDir: dbdir, Tenders: tenders, UIDs: uids, Log: g.logger()})
	if err != nil {
		return nil, err
	}
	return &session{g: g, dir: dir, cfg: cfg, dbdir: dbdir, host: host}, nil
}

// logger logs to stderr with -v, and nowhere otherwise.
func (g *globals) logger() *slog.Logger {
	if !g.verbose {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lock takes the data directory's lock, creating the directory first when
// exclusive (apply, destroy).
func (s *session) lock(ctx context.Context, exclusive bool, timeout time.Duration) (func(), error) {
	if exclusive {
		if err := s.dbdir.Init(); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(string(s.dbdir)); errors.Is(err, os.ErrNotExist) {
		// Nothing to read yet: an empty host needs no lock.
		return func() {}, nil
	} else if err := s.dbdir.Check(); err != nil {
		return nil, err
	}
	release, err := s.host.Lock(ctx, exclusive, timeout)
	if err == nil && exclusive {
		s.removeTemps()
	}
	return release, err
}

// removeTemps removes the temporary files that a killed roost or shim left
// in the data directory; the caller holds its lock exclusively. Failing
// to is worth a log line, not the command.
func (s *session) removeTemps() {
	alive := func(name string) bool {
		ok, _, err := shim.Alive(s.dbdir, name)
		return ok || err != nil // in doubt, leave its files alone
	}
	removed, err := s.dbdir.RemoveTemps(alive)
	for _, p := range removed {
		s.g.logger().Info("removed a stale temporary file", "path", p)
	}
	if err != nil {
		s.g.logger().Warn("removing stale temporary files", "err", err)
	}
}

// observe reads the host and looks up the tenders the configuration needs.
func (s *session) observe(ctx context.Context) (*plan.Observed, error) {
	var desired *plan.Desired
	if s.cfg != nil {
		desired = &s.cfg.Desired
	}
	return s.observeFor(ctx, desired)
}

// observeFor reads the host and looks up the tenders desired (nil:
// nothing) needs. The lookups (an exec of each tender's --version) run
// while the host is read, or while a prefetch finishes reading it.
func (s *session) observeFor(ctx context.Context, desired *plan.Desired) (*plan.Observed, error) {
	tenders := make(chan map[string]plan.TenderLookup, 1)
	go func() { tenders <- s.findTenders(ctx, desired) }()
	o, err, ok := s.pre.use(s.dbdir, s.cfg)
	if !ok {
		o, err = s.host.Observe(ctx)
	}
	s.pre = nil // one use: a later observation reads the host again
	found := <-tenders
	if err != nil {
		return nil, fmt.Errorf("observe host: %w", err)
	}
	if o.Tenders == nil {
		o.Tenders = map[string]plan.TenderLookup{}
	}
	if !ok {
		o.Shim = s.host.FindShim(ctx)
	}
	for k, t := range found {
		o.Tenders[k] = t
	}
	return o, nil
}

// findTenders looks up the tender of each target and ABI version that
// desired (nil: nothing) runs.
func (s *session) findTenders(ctx context.Context, desired *plan.Desired) map[string]plan.TenderLookup {
	found := map[string]plan.TenderLookup{}
	if desired == nil {
		return found
	}
	for _, u := range desired.Unikernels {
		key := plan.TenderKey(u.Image.Target, u.Image.ABIVersion)
		if _, ok := found[key]; ok {
			continue
		}
		if _, ok := solo5.ParseTarget(u.Image.Target); !ok {
			continue
		}
		found[key] = s.host.FindTender(ctx, u.Image.Target, u.Image.ABIVersion)
	}
	return found
}

// planOptions are the flags that shape a plan.
type planOptions struct {
	targets, replace listFlag
	allowDataLoss    bool
	lockTimeout      time.Duration
	// noFingerprints: the plan is neither saved nor printed as JSON.
	noFingerprints bool
}

// makePlan observes the host and plans; destroy plans the removal of
// everything.
func (s *session) makePlan(ctx context.Context, po *planOptions, destroy bool) (*plan.Plan, error) {
	o, err := s.observe(ctx)
	if err != nil {
		return nil, err
	}
	in := plan.Input{
		Observed:      o,
		Targets:       po.targets,
		Replace:       po.replace,
		AllowDataLoss: po.allowDataLoss,
		Destroy:       destroy,

		NoFingerprints: po.noFingerprints,
	}
	if s.cfg != nil {
		in.Desired = &s.cfg.Desired
	}
	p := plan.Make(in)
	return p, nil
}

// files are the loaded configuration's files (nil without one), for
// diagnostics that show source lines.
func (s *session) files() map[string]*hcl.File {
	if s.cfg == nil {
		return nil
	}
	return s.cfg.Files
}

// absDir is dir made absolute, for saved plans.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
