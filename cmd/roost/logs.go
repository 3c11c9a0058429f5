package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/roostd/roost/config"
	"github.com/roostd/roost/platform/datadir"
)

const logsHelp = `
Print a unikernel's console output (what its tender wrote to stdout and
stderr), oldest first. The shim stores each line with the time it was
written; -t shows it. -n N prints the last N lines; -f keeps printing new
lines as they come (until interrupted), across restarts and log rotation.`

func runLogs(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "logs", "NAME [-f] [-n N] [-t]", logsHelp)
	follow := fs.Bool("f", false, "follow: keep printing new lines")
	n := fs.Int("n", -1, "print only the last `N` lines (default: all)")
	stamps := fs.Bool("t", false, "show the time of each line")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errors.New("logs takes one unikernel NAME")
	}
	name := pos[0]
	if !config.ValidName(name) {
		return fmt.Errorf("%q is not a unikernel name (%s)", name, config.NameRule)
	}
	s, err := g.openHost(".", localConfig())
	if err != nil {
		return err
	}
	dbdir := s.dbdir
	if _, err := os.Stat(dbdir.Unikernel(name)); err != nil {
		return fmt.Errorf("no unikernel %q in %s", name, dbdir)
	}
	lines, offset, err := dbdir.ReadConsole(name)
	if err != nil {
		return err
	}
	if *n >= 0 && len(lines) > *n {
		lines = lines[len(lines)-*n:]
	}
	w := bufio.NewWriter(g.stdout)
	for _, l := range lines {
		writeConsoleLine(w, l, *stamps)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if !*follow {
		return nil
	}
	return followConsole(ctx, g.stdout, dbdir, name, offset, *stamps)
}

// writeConsoleLine prints a stored line "TIMESTAMP TEXT", with or without
// its timestamp.
func writeConsoleLine(w io.Writer, line []byte, stamps bool) {
	if !stamps {
		line = []byte(datadir.StripStamp(string(line)))
	}
	w.Write(line)
	w.Write([]byte("\n"))
}

// followConsole prints lines appended to console.log after offset. When
// the shim rotates the file (console.log becomes console.log.1), it reads
// what is left of the old one, then follows the new one from its start.
func followConsole(ctx context.Context, w io.Writer, dbdir datadir.Dir, name string, offset int64, stamps bool) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var cur *os.File
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	var partial []byte
	drain := func(f *os.File) {
		buf, err := io.ReadAll(io.NewSectionReader(f, offset, 1<<62))
		if err != nil {
			return
		}
		offset += int64(len(buf))
		data := append(partial, buf...)
		for {
			line, rest, found := bytes.Cut(data, []byte("\n"))
			if !found {
				break
			}
			writeConsoleLine(w, line, stamps)
			data = rest
		}
		partial = append([]byte(nil), data...)
	}
	for {
		if cur == nil {
			cur, _ = dbdir.Open(dbdir.Console(name), os.O_RDONLY, 0)
		}
		if cur != nil {
			drain(cur)
			// Rotated: console.log is another file now.
			if now, err := os.Stat(dbdir.Console(name)); err == nil {
				if was, err := cur.Stat(); err == nil && !os.SameFile(was, now) {
					drain(cur)
					cur.Close()
					cur, offset, partial = nil, 0, nil
					continue
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
