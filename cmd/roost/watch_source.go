package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
)

// watchSource is roost watch's apply.ConfigSource: a config.DirWatcher
// tells of changes, and Load reads the directory as every command does.
// The file system rules (editor temporaries, quiet time, re-watching)
// live in config beside IgnoredName; loading lives here because for watch
// it means printing diagnostics through the view, naming the var files of
// the command line, and refusing a roost block that no longer matches the
// host opened at start, which -dbdir and ROOST_DBDIR decide.
type watchSource struct {
	*config.DirWatcher
	g       *globals
	dir     string
	lf      *loadFlags
	images  *config.ImageCache
	view    *views.Watch
	dbdir   datadir.Dir
	tenders []string // the tender directories the host was opened with
	uids    [2]int   // and its unikernel_uids
}

// newWatchSource starts watching dir; Close stops it.
func newWatchSource(g *globals, s *session, lf *loadFlags, tenders []string, view *views.Watch) (*watchSource, error) {
	w, err := config.WatchDir(s.dir, apply.DefaultDebounce)
	if err != nil {
		return nil, err // "watch DIR: ..."
	}
	return &watchSource{DirWatcher: w, g: g, dir: s.dir, lf: lf, images: config.NewImageCache(),
		view: view, dbdir: s.dbdir, tenders: tenders, uids: settingsUIDs(s.cfg)}, nil
}

// Load reads the configuration directory; the files it depends on are
// watched from then on.
func (s *watchSource) Load(ctx context.Context) (*apply.Loaded, error) {
	opts := s.lf.options()
	opts.Images = s.images
	cfg, diags := config.Load(s.dir, opts)
	if diags.HasErrors() {
		s.view.Diagnostics(diags, cfg.Files)
		return nil, fmt.Errorf("%d error%s", len(diags.Errs()), plural(len(diags.Errs())))
	}
	if !slices.Equal(cfg.Settings.Tenders, s.tenders) || s.g.dbdirFor(cfg) != string(s.dbdir) || cfg.Settings.UIDs != s.uids {
		// The Host was opened with the first settings; another
		// data directory is another host.
		return nil, errors.New("the roost block (dbdir, tenders, unikernel_uids) changed; restart roost watch to use it")
	}
	s.WatchFiles(dependencies(cfg, s.lf.varFiles))
	l := &apply.Loaded{Desired: &cfg.Desired, Fingerprint: loadFingerprint(cfg)}
	l.Commit, _ = config.GitCommit(s.dir)
	return l, nil
}

// settingsUIDs is cfg's unikernel_uids; zero without a configuration.
func settingsUIDs(cfg *config.Config) [2]int {
	if cfg == nil {
		return [2]int{}
	}
	return cfg.Settings.UIDs
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
