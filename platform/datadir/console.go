package datadir

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"time"
)

// The console log, unikernels/<name>/console.log, holds the tender's
// output a line at a time, each line prefixed with the time the shim read
// it, in StampLayout, and a space. The shim rotates it to console.log.1
// (replacing that) when it grows past its cap.

// StampLayout is the console line prefix: RFC 3339, UTC, milliseconds.
const StampLayout = "2006-01-02T15:04:05.000Z"

// MaxConsole is the most of a console file that ReadConsole reads: the
// shim rotates at 4 MiB, so a larger file was not written by it alone.
const MaxConsole = 64 << 20

// StripStamp removes a console line's timestamp; a line without one is
// returned as it is.
func StripStamp(line string) string {
	n := len(StampLayout)
	if len(line) > n && line[n] == ' ' {
		if _, err := time.Parse(StampLayout, line[:n]); err == nil {
			return line[n+1:]
		}
	}
	return line
}

// ReadConsole returns the complete lines of console.log.1 and console.log
// of name, oldest first, and the size of console.log up to its last
// complete line, from which a follower goes on. A missing file has no
// lines.
func (d Dir) ReadConsole(name string) (lines [][]byte, size int64, err error) {
	old, err := d.ReadFile(d.ConsoleRotated(name), MaxConsole)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, 0, err
	}
	cur, err := d.ReadFile(d.Console(name), MaxConsole)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, 0, err
	}
	for _, b := range [][]byte{old, cur} {
		for len(b) > 0 {
			line, rest, found := bytes.Cut(b, []byte("\n"))
			if !found {
				break // a partial last line: complete later
			}
			lines = append(lines, line)
			b = rest
		}
	}
	size = int64(len(cur))
	if i := bytes.LastIndexByte(cur, '\n'); i+1 < len(cur) {
		size = int64(i + 1)
	}
	return lines, size, nil
}

// ConsoleTail returns the last n lines of the console of name, from
// console.log.1 too when console.log was just rotated, without their
// timestamps; none if neither can be read.
func (d Dir) ConsoleTail(name string, n int) []string {
	lines := d.TailLines(d.Console(name), n)
	if len(lines) < n {
		lines = append(d.TailLines(d.ConsoleRotated(name), n-len(lines)), lines...)
	}
	for i, l := range lines {
		lines[i] = StripStamp(l)
	}
	return lines
}

// TailLines returns the last n lines of the file at path; none if it
// cannot be read.
func (d Dir) TailLines(path string, n int) []string {
	const chunk = 16 << 10
	f, err := d.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	off := max(fi.Size()-chunk, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, chunk))
	if err != nil {
		return nil
	}
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	if off > 0 && len(lines) > 1 {
		lines = lines[1:] // the first one is cut
	}
	return lines[max(len(lines)-n, 0):]
}
