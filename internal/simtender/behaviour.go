package simtender

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// directive is one step of a guest's behaviour.
type directive struct {
	op   string        // the directive's name: "print", "sleep", ...
	text string        // print, block-write
	dur  time.Duration // sleep, tick, spin
	n    int           // exit
	sig  unix.Signal   // signal
	dev  string        // block-write, block-read
	off  int64         // block-write, block-read
	len  int64         // block-read
}

// maxSpin bounds spin, so that a typo cannot make the simulator burn a CPU
// for long.
const maxSpin = 10 * time.Second

// maxBlockRead bounds block-read, so that a typo cannot make the simulator
// allocate much.
const maxBlockRead = 1 << 20

// parseBehaviour parses behaviour text: directives separated by ';' or
// newlines. Empty text means serve.
func parseBehaviour(s string) ([]directive, error) {
	var prog []directive
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, arg := cutField(line)
		d, err := parseDirective(name, arg)
		if err != nil {
			return nil, err
		}
		prog = append(prog, d)
	}
	if len(prog) == 0 {
		prog = []directive{{op: "serve"}}
	}
	return prog, nil
}

func parseDirective(name, arg string) (directive, error) {
	d := directive{op: name}
	noArg := func() error {
		if arg != "" {
			return fmt.Errorf("%s: unexpected argument %q", name, arg)
		}
		return nil
	}
	switch name {
	case "print":
		d.text = arg
	case "sleep", "tick", "spin":
		v, err := time.ParseDuration(arg)
		if err != nil || v < 0 || name == "tick" && v == 0 || name == "spin" && v > maxSpin {
			return d, fmt.Errorf("%s: invalid duration %q", name, arg)
		}
		d.dur = v
	case "exit":
		v, err := strconv.Atoi(arg)
		if err != nil {
			return d, fmt.Errorf("exit: invalid status %q", arg)
		}
		d.n = v
	case "signal":
		sig, ok := parseSignal(arg)
		if !ok {
			return d, fmt.Errorf("signal: unknown signal %q", arg)
		}
		d.sig = sig
	case "abort", "serve", "args":
		if err := noArg(); err != nil {
			return d, err
		}
	case "block-write":
		dev, rest := cutField(arg)
		offs, text := cutField(rest)
		if dev == "" || offs == "" || text == "" {
			return d, fmt.Errorf("block-write: want NAME OFFSET TEXT, have %q", arg)
		}
		off, err := strconv.ParseInt(offs, 0, 64)
		if err != nil || off < 0 {
			return d, fmt.Errorf("block-write: invalid offset %q", offs)
		}
		d.dev, d.off, d.text = dev, off, text
	case "block-read":
		f := strings.Fields(arg)
		if len(f) != 3 {
			return d, fmt.Errorf("block-read: want NAME OFFSET LEN, have %q", arg)
		}
		off, err := strconv.ParseInt(f[1], 0, 64)
		if err != nil || off < 0 {
			return d, fmt.Errorf("block-read: invalid offset %q", f[1])
		}
		n, err := strconv.ParseInt(f[2], 0, 64)
		if err != nil || n < 0 || n > maxBlockRead {
			return d, fmt.Errorf("block-read: invalid length %q (at most %d)", f[2], maxBlockRead)
		}
		d.dev, d.off, d.len = f[0], off, n
	default:
		return d, fmt.Errorf("unknown directive %s", name)
	}
	return d, nil
}

// parseSignal accepts "SEGV", "SIGSEGV", "segv" or a number.
func parseSignal(s string) (unix.Signal, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return unix.Signal(n), n > 0 && n < 65
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig := unix.SignalNum(name)
	return sig, sig != 0
}

// cutField splits s at its first run of blanks.
func cutField(s string) (field, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}
