package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/solo5"
)

// Options are the inputs of Load besides the directory.
type Options struct {
	// Vars are -var arguments, "name=value", in command-line order.
	Vars []string
	// VarFiles are -var-file arguments, HCL files of name = value.
	VarFiles []string
	// Environ supplies ROOST_VAR_<name> values; nil means os.Environ().
	Environ []string
	// Images caches image facts across loads (watch reloads often). Nil
	// means a fresh cache.
	Images *ImageCache
}

// Config is a loaded configuration directory.
type Config struct {
	Dir string
	// Files maps file names, as they appear in diagnostics, to their
	// parsed form, for hcl.NewDiagnosticTextWriter.
	Files    map[string]*hcl.File
	Settings Settings
	Desired  plan.Desired
	// Ranges maps "unikernel/NAME", "bridge/NAME" and "block/NAME" to
	// the range of the block that declares the resource (or its instance).
	Ranges map[string]hcl.Range
	// Images holds the facts of every image the configuration names, by
	// the absolute path it names.
	Images map[string]*solo5.Image
}

// Settings is the roost block: host settings that are not resources.
type Settings struct {
	DBDir   string   // "" if not set
	Tenders []string // absolute directories
	// UIDs is unikernel_uids, the first and last uid (and gid) roost
	// gives tenders; zero when not set (platform's default range).
	UIDs [2]int
	Pos  plan.Pos
}

// Load reads every *.hcl file in dir as one configuration. It returns the
// configuration and every problem found; when the diagnostics hold an error
// the configuration must not be used to change a host.
func Load(dir string, opts Options) (*Config, hcl.Diagnostics) {
	l := newLoader(dir, opts)
	l.load()
	return l.cfg, dedupe(sortDiagnostics(l.diags))
}

type loader struct {
	dir    string
	absDir string
	opts   Options
	parser *hclparse.Parser
	diags  hcl.Diagnostics
	cfg    *Config
	images *ImageCache

	decls      declarations
	bridges    []bridgeDecl
	blocks     []blockDecl
	unikernels []*unikernelDecl
	moved      []*movedDecl

	fileDirs map[string]string // a file's name -> its directory, absolute
}

func newLoader(dir string, opts Options) *loader {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	if opts.Images == nil {
		opts.Images = NewImageCache()
	}
	p := hclparse.NewParser()
	return &loader{
		dir: dir, absDir: abs, opts: opts, parser: p, images: opts.Images,
		cfg: &Config{Dir: dir, Files: p.Files(), Images: map[string]*solo5.Image{}, Ranges: map[string]hcl.Range{}},
	}
}

func (l *loader) load() {
	files, err := configFiles(l.dir)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration directory",
			Detail:   fmt.Sprintf("Reading %s: %s.", l.dir, pathErrText(err)),
		})
		return
	}
	if len(files) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The directory %s has no *.hcl files. roost reads every *.hcl file of the directory it is given.", l.dir),
		})
		return
	}
	var bodies []*hcl.File
	for _, name := range files {
		f, diags := l.parseFile(name, "configuration file")
		l.diags = append(l.diags, diags...)
		if f != nil && !diags.HasErrors() {
			bodies = append(bodies, f)
		}
	}
	for _, f := range bodies {
		l.collect(f)
	}
	if l.diags.HasErrors() && len(bodies) < len(files) {
		// A file that does not parse may hold declarations the others
		// refer to; checking references now would only add noise.
		return
	}
	ctx := l.evalContext()
	l.decodeSettings(ctx)
	l.decodeBridges(ctx)
	l.decodeBlocks(ctx)
	l.decodeUnikernels(ctx)
	l.decodeMoved()
	l.check()
}

// parseFile reads and parses an HCL file, what the diagnostics call it. It
// is read through regfile, so that a named pipe or a device neither hangs
// nor exhausts roost, and checked for nesting first (nesting.go).
func (l *loader) parseFile(name, what string) (*hcl.File, hcl.Diagnostics) {
	src, d := readSource(name, what)
	if d != nil {
		return nil, hcl.Diagnostics{d}
	}
	if d := checkNesting(src, name, hcl.InitialPos, false); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	return l.parser.ParseHCL(src, name)
}

// configFiles lists the *.hcl files of dir in name order, skipping editor
// temporaries and hidden files. Entries of every kind are listed: one that
// is not a regular file (a directory, a named pipe) is refused when it is
// read rather than silently left out, since the declarations it was meant
// to hold would be missing.
func configFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".hcl") || IgnoredName(name) {
			continue
		}
		files = append(files, filepath.Join(dir, name))
	}
	sort.Strings(files)
	return files, nil
}

// IgnoredName reports whether a file name in a configuration directory is an
// editor temporary or hidden file that roost never reads: "*~", ".#*",
// "#*#", "*.swp", "4913" (vim's write test) and dot files.
func IgnoredName(name string) bool {
	switch {
	case strings.HasPrefix(name, "."),
		strings.HasSuffix(name, "~"),
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"),
		strings.HasSuffix(name, ".swp"),
		name == "4913":
		return true
	}
	return false
}

func pathErrText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// sortDiagnostics orders diagnostics by file and position; those without a
// source range come first.
func sortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return diags
}

// dedupe drops repeats: an attribute of a block with count = 3 that fails
// the same way three times is reported once.
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	seen := map[key]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = *d.Subject
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

func posOf(r hcl.Range) plan.Pos { return plan.Pos{File: r.Filename, Line: r.Start.Line} }

func rangePtr(r hcl.Range) *hcl.Range { return &r }
