package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
	"github.com/hashicorp/hcl/v2"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/internal/regfile"
)

const fmtHelp = `
Rewrite HCL files in canonical layout: indentation, aligned equals signs,
spacing. PATH is a file, a directory (its *.hcl files; default: the current
directory) or - for standard input to standard output. The names of the
files rewritten are printed. A file that does not parse is left alone and
reported.

With -check nothing is written; the files that need formatting are listed
and the exit status is 3 if there are any. -diff prints what would change.`

func runFmt(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "fmt", "[-check] [-diff] [PATH|-]", fmtHelp)
	var fo fmtOptions
	fs.BoolVar(&fo.check, "check", false, "write nothing; list files that need formatting, exit 3 if any")
	fs.BoolVar(&fo.diff, "diff", false, "print the changes as a unified diff")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("too many arguments %q; give one file or directory", pos)
	}
	target := "."
	if len(pos) == 1 {
		target = pos[0]
	}
	if target == "-" {
		return g.fmtStdin(fo)
	}
	files, err := fmtFiles(target)
	if err != nil {
		return err
	}
	var failed, unformatted int
	for _, name := range files {
		changed, err := g.fmtFile(name, fo)
		switch {
		case errors.Is(err, errReported):
			failed++
		case err != nil:
			return err
		case changed:
			unformatted++
		}
	}
	switch {
	case failed > 0:
		return fmt.Errorf("%d file%s could not be formatted", failed, plural(failed))
	case fo.check && unformatted > 0:
		return exitError{3}
	}
	return nil
}

// fmtOptions are the flags of fmt.
type fmtOptions struct {
	check, diff bool
}

// fmtStdin formats standard input to standard output.
func (g *globals) fmtStdin(fo fmtOptions) error {
	src, err := io.ReadAll(io.LimitReader(g.stdin, config.MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("read standard input: %w", err)
	}
	if len(src) > config.MaxFileSize {
		return fmt.Errorf("read standard input: larger than the limit of %s", regfile.Size(config.MaxFileSize))
	}
	out, diags := config.Format(src, "<stdin>")
	if diags.HasErrors() {
		return g.printDiagnostics(diags, map[string]*hcl.File{"<stdin>": {Bytes: src}}, "cannot format <stdin>")
	}
	if fo.check && !bytes.Equal(src, out) {
		if fo.diff {
			writeDiff(g.stdout, "<stdin>", src, out)
		}
		return exitError{3}
	}
	if fo.diff {
		writeDiff(g.stdout, "<stdin>", src, out)
		return nil
	}
	_, err = g.stdout.Write(out)
	return err
}

// fmtFile formats the file name in place (with -check: not), printing its
// name and with -diff the changes when it needed formatting, and reports
// whether it did. A file that cannot be read or parsed is reported on
// stderr and returns errReported; other errors end fmt.
func (g *globals) fmtFile(name string, fo fmtOptions) (changed bool, err error) {
	src, err := regfile.ReadFile(name, config.MaxFileSize)
	if err != nil {
		fmt.Fprintf(g.stderr, "roost: %v\n", err)
		return false, errReported
	}
	out, diags := config.Format(src, name)
	if diags.HasErrors() {
		g.printDiagnostics(diags, map[string]*hcl.File{name: {Bytes: src}}, "")
		return false, errReported
	}
	if bytes.Equal(src, out) {
		return false, nil
	}
	fmt.Fprintln(g.stdout, name)
	if fo.diff {
		writeDiff(g.stdout, name, src, out)
	}
	if fo.check {
		return true, nil
	}
	fi, err := os.Stat(name)
	if err != nil {
		return true, err
	}
	if err := renameio.WriteFile(name, out, fi.Mode().Perm(), renameio.WithTempDir(filepath.Dir(name))); err != nil {
		return true, fmt.Errorf("write %s: %w", name, err)
	}
	return true, nil
}

// fmtFiles lists the files fmt looks at for target: the file itself, or the
// *.hcl files of a directory.
func fmtFiles(target string) ([]string, error) {
	fi, err := os.Stat(target)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{target}, nil
	}
	ents, err := os.ReadDir(target)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range ents {
		if e.Type().IsRegular() && filepath.Ext(e.Name()) == ".hcl" && !config.IgnoredName(e.Name()) {
			files = append(files, filepath.Join(target, e.Name()))
		}
	}
	return files, nil
}

func writeDiff(w io.Writer, name string, a, b []byte) {
	d := difflib.UnifiedDiff{
		A:        difflib.SplitLines(string(a)),
		B:        difflib.SplitLines(string(b)),
		FromFile: "old/" + name,
		ToFile:   "new/" + name,
		Context:  3,
	}
	difflib.WriteUnifiedDiff(w, d)
}
