package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/config"
)

// DefaultDBDir is the data directory when nothing else names one.
const DefaultDBDir = "/var/lib/roost"

// listFlag collects a repeated flag (-var a=1 -var b=2).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// loadFlags are the flags of every command that reads a configuration.
type loadFlags struct {
	vars, varFiles listFlag
}

func (lf *loadFlags) register(fs *flag.FlagSet) {
	fs.Var(&lf.vars, "var", "set a variable, `name=value` (repeatable)")
	fs.Var(&lf.varFiles, "var-file", "read variables from an HCL `file` (repeatable)")
}

func (lf *loadFlags) options() config.Options {
	return config.Options{Vars: lf.vars, VarFiles: lf.varFiles}
}

// printDiagnostics writes diags to stderr and returns errReported (with a
// count on a last line) when any is an error.
func (g *globals) printDiagnostics(diags hcl.Diagnostics, files map[string]*hcl.File, what string) error {
	if len(diags) == 0 {
		return nil
	}
	if err := views.WriteDiagnostics(g.stderr, diags, files, g.colorOK(g.stderr)); err != nil {
		return err
	}
	if n := len(diags.Errs()); n > 0 {
		return fmt.Errorf("%s: %d error%s", what, n, plural(n))
	}
	return nil
}

// loadForDBDir loads dir for a command that needs its configuration
// first of all to find the data directory (destroy, and watch as it
// starts). An invalid configuration is tolerated, as nil, when -dbdir or
// $ROOST_DBDIR names the data directory, since the roost block could name
// another; otherwise its diagnostics are printed and the error returned.
func (g *globals) loadForDBDir(dir string, lf *loadFlags) (*config.Config, error) {
	cfg, diags := config.Load(dir, lf.options())
	if !diags.HasErrors() {
		return cfg, nil
	}
	if g.dbdir == "" && os.Getenv("ROOST_DBDIR") == "" {
		if err := g.printDiagnostics(diags, cfg.Files, "invalid configuration in "+dir); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// dbdirFor returns the data directory: -dbdir, then $ROOST_DBDIR, then the
// configuration's roost block, then DefaultDBDir. It is made absolute.
func (g *globals) dbdirFor(cfg *config.Config) string {
	d := g.dbdir
	if d == "" {
		d = os.Getenv("ROOST_DBDIR")
	}
	if d == "" && cfg != nil {
		d = cfg.Settings.DBDir
	}
	if d == "" {
		d = DefaultDBDir
	}
	if abs, err := filepath.Abs(d); err == nil {
		d = abs
	}
	return d
}
