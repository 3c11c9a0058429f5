package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/roostd/roost/cmd/roost/views"
)

// command is one subcommand: its name, a line for the usage text, and its
// run function.
type command struct {
	name  string
	args  string
	short string
	run   func(ctx context.Context, g *globals, args []string) error
}

func commands() []command {
	return []command{
		{name: "validate", args: "[DIR] [-json]", short: "check the configuration without touching the host", run: runValidate},
		{name: "fmt", args: "[-check] [-diff] [PATH|-]", short: "rewrite HCL files in canonical layout", run: runFmt},
		{name: "inspect", args: "IMAGE [-json]", short: "show a Solo5 image's target, ABI version, devices and digest", run: runInspect},
		{name: "plan", args: "[DIR]", short: "show what apply would change on this host", run: runPlan},
		{name: "apply", args: "[DIR|PLANFILE]", short: "make the host equal to the configuration", run: runApply},
		{name: "destroy", args: "[DIR]", short: "stop and remove everything roost runs (blocks are kept)", run: runDestroy},
		{name: "watch", args: "[DIR]", short: "apply, then keep the host equal to the configuration", run: runWatch},
		{name: "import", args: "albatross -o DIR", short: "write a configuration from albatross's state, carry its blocks over", run: runImport},
		{name: "block", args: "list|export|import", short: "list a host's blocks, export or import their contents", run: runBlock},
		{name: "status", args: "[NAME]", short: "show the unikernels' state, pids, restarts, resources", run: runStatus},
		{name: "logs", args: "NAME", short: "print a unikernel's console output", run: runLogs},
		{name: "version", short: "print roost's version", run: runVersion},
	}
}

// globals are the flags every subcommand takes, before or after its name,
// and the streams it talks to.
type globals struct {
	dbdir   string
	noColor bool
	verbose bool

	stdin          io.Reader
	stdout, stderr io.Writer
	// newHost opens the host: newPlatformHost, or a fake in tests.
	newHost newHostFunc
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.dbdir, "dbdir", g.dbdir, "data directory (default: $ROOST_DBDIR, the roost block's dbdir, /var/lib/roost)")
	fs.BoolVar(&g.noColor, "no-color", g.noColor, "no colors in output (also: NO_COLOR set in the environment)")
	fs.BoolVar(&g.verbose, "v", g.verbose, "verbose: log what roost does to stderr")
}

// exitError ends roost with a specific exit code. Its message, if any, has
// already been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// errReported means the details went to stderr already (diagnostics, a
// failed step's output); main adds nothing but the exit code.
var errReported = errors.New("reported")

// Main runs roost with args (without the program name) on the real host and
// returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainHost(ctx, newPlatformHost, args, stdin, stdout, stderr)
}

// mainHost is Main on the host that newHost opens.
func mainHost(ctx context.Context, newHost newHostFunc, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, newHost: newHost}
	fs := flag.NewFlagSet("roost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	fs.Usage = func() { usage(stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 1
	}
	rest := fs.Args()
	if len(rest) == 0 {
		usage(stderr)
		return 1
	}
	name := rest[0]
	if name == "help" || name == "-h" || name == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, g, rest[1:])
		return exitCode(stderr, err)
	}
	fmt.Fprintf(stderr, "roost: unknown command %q; run 'roost help' for the list\n", name)
	return 1
}

func exitCode(stderr io.Writer, err error) int {
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errReported):
		return 1
	}
	fmt.Fprintf(stderr, "roost: %v\n", err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: roost [global flags] COMMAND [flags] [args]

roost keeps a host's Solo5 unikernels, bridges and block devices equal to
the HCL files of a directory.

Commands:
`)
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Global flags (before or after the command):
  -dbdir DIR   data directory (default: $ROOST_DBDIR, the roost block's dbdir,
               /var/lib/roost)
  -no-color    no colors (also: NO_COLOR in the environment)
  -v           verbose

Run 'roost COMMAND -h' for a command's flags.
`)
}

// newFlagSet returns a flag set for a subcommand that also takes the global
// flags, with a usage text naming the command and its arguments.
func newFlagSet(g *globals, name, args, help string) *flag.FlagSet {
	fs := flag.NewFlagSet("roost "+name, flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	g.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(g.stderr, "Usage: roost %s %s\n\n%s\n\nFlags:\n", name, args, strings.TrimSpace(help))
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags that may come before, between or after positional
// arguments (roost plan DIR -json), as Terraform users expect. Everything
// after a "--" is positional. It returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, tail...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseDirArgs parses args for a command that takes one optional DIR.
func parseDirArgs(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return "", err
	}
	return dirArg(pos)
}

// dirArg returns the single optional DIR argument, "." by default.
func dirArg(pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return ".", nil
	case 1:
		return pos[0], nil
	}
	return "", fmt.Errorf("too many arguments %q; give one directory", pos)
}

// colorOK reports whether output may be colored: not -no-color, no NO_COLOR,
// and w is a terminal.
func (g *globals) colorOK(w io.Writer) bool {
	if g.noColor || os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// streams are g's standard output and error with their palettes, for
// views.
func (g *globals) streams() views.Streams {
	return views.Streams{Stdout: g.stdout, Stderr: g.stderr,
		StdoutColors: views.NewColors(g.colorOK(g.stdout)), StderrColors: views.NewColors(g.colorOK(g.stderr))}
}
