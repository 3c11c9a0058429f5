package main

import (
	"context"
	"os"

	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
)

// prefetch is an observation of the host that runs while the
// configuration loads. With a thousand unikernels, loading the
// configuration and reading the host each take about half of a plan, and
// neither needs the other until plan.Make: run together, they keep two
// cores busy instead of one (issue 9: plan at 1,000 under 100 ms).
//
// What an observation depends on is the data directory and the range of
// tender uids; the configuration can set both. So a prefetch observes the
// data directory that holds without a configuration (-dbdir, ROOST_DBDIR,
// the default) with the default range, under a shared lock of its own,
// and the session uses it only if the loaded configuration changed
// neither (use); otherwise the session observes as it would have without
// it. It never waits: a data directory that does not exist yet, or whose
// lock an apply holds, gets no prefetch.
type prefetch struct {
	dbdir   datadir.Dir
	host    host
	release func()
	done    chan struct{}  // closed once o and err are set
	o       *plan.Observed // with Shim looked up too
	err     error
}

// startPrefetch starts observing the data directory known before the
// configuration of dir, or returns nil. A configuration that may set the
// data directory (when neither -dbdir nor ROOST_DBDIR does) or the tender
// uids gets none: the observation would be thrown away, and it would
// have read another data directory than the configuration's.
func (g *globals) startPrefetch(ctx context.Context, dir string) *prefetch {
	words := []string{"unikernel_uids"}
	if g.dbdir == "" && os.Getenv("ROOST_DBDIR") == "" {
		words = append(words, "dbdir")
	}
	if config.Mentions(dir, words...) {
		return nil
	}
	dbdir := datadir.Dir(g.dbdirFor(nil))
	if dbdir.Check() != nil {
		return nil
	}
	h, err := g.newHost(hostOptions{DBDir: dbdir, Log: g.logger()})
	if err != nil {
		return nil
	}
	release, err := h.Lock(ctx, false, 0)
	if err != nil {
		h.Close()
		return nil
	}
	p := &prefetch{dbdir: dbdir, host: h, release: release, done: make(chan struct{})}
	shim := make(chan plan.TenderLookup, 1)
	go func() { shim <- h.FindShim(ctx) }() // an exec of roost-shim -version
	go func() {
		defer close(p.done)
		p.o, p.err = h.Observe(ctx)
		s := <-shim
		if p.o != nil {
			p.o.Shim = s
		}
	}()
	return p
}

// use returns the prefetched observation, its Shim looked up, if it is
// the one the session would make: same data directory, default tender
// uids.
func (p *prefetch) use(dbdir datadir.Dir, cfg *config.Config) (*plan.Observed, error, bool) {
	if p == nil || dbdir != p.dbdir || cfg != nil && cfg.Settings.UIDs != [2]int{} {
		return nil, nil, false
	}
	<-p.done
	return p.o, p.err, true
}

// close waits for the observation, if any, and lets go of its lock and
// host. The session holds a lock of its own by then.
func (p *prefetch) close() {
	if p == nil {
		return
	}
	<-p.done
	p.release()
	p.host.Close()
}
