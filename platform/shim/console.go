package shim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/roostd/roost/platform/datadir"
)

// DefaultConsoleMax is the size at which console.log is rotated to
// console.log.1.
const DefaultConsoleMax = 4 << 20

// stampLayout is the console line prefix (the console format is
// datadir's).
const stampLayout = datadir.StampLayout

// maxLine is the longest console line written as one; a longer one is
// split.
const maxLine = 64 << 10

// console writes a tender's output to console.log, one line at a time,
// each prefixed with the time it was read. When the file would grow past
// max it is renamed to console.log.1 (replacing it) and a new one started.
// It lives as long as the shim, across restarts of the tender.
type console struct {
	dir     *datadir.Subdir
	name    string // console.log
	rotated string // console.log.1
	path    string // for messages
	max     int64

	mu   sync.Mutex // guards f and size
	f    *os.File
	size int64
}

// openConsole opens (appending) the console log at path; rotated is the
// name it is renamed to when it grows past max bytes.
func openConsole(dir *datadir.Subdir, name, rotated string, max int64) (*console, error) {
	f, err := dir.Open(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open console log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open console log: %w", err)
	}
	return &console{dir: dir, name: name, path: dir.Path(name), rotated: rotated, max: max, f: f, size: fi.Size()}, nil
}

// copy writes every line read from r to the log until r ends, and a last
// line without a newline too. A line longer than maxLine is split. It
// keeps reading after a write error, so that the tender never blocks on a
// full pipe, and returns the first such error.
func (c *console) copy(r io.Reader) error {
	br := bufio.NewReaderSize(r, maxLine)
	var werr error
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if e := c.writeLine(time.Now(), line); e != nil && werr == nil {
				werr = e
			}
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF), errors.Is(err, fs.ErrClosed):
			return werr
		default:
			return errors.Join(werr, fmt.Errorf("read tender output: %w", err))
		}
	}
}

// writeLine writes line (with or without its newline) stamped with t.
func (c *console) writeLine(t time.Time, line []byte) error {
	buf := make([]byte, 0, len(stampLayout)+len(line)+2)
	buf = t.UTC().AppendFormat(buf, stampLayout)
	buf = append(buf, ' ')
	buf = append(buf, line...)
	if buf[len(buf)-1] != '\n' {
		buf = append(buf, '\n')
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return fmt.Errorf("write %s: %w", c.path, fs.ErrClosed)
	}
	if c.size > 0 && c.size+int64(len(buf)) > c.max {
		if err := c.rotate(); err != nil {
			return err
		}
	}
	n, err := c.f.Write(buf)
	c.size += int64(n)
	if err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	return nil
}

// rotate renames the log to its rotated name and starts a new one. c.mu
// must be held.
func (c *console) rotate() error {
	if err := c.dir.Rename(c.name, c.rotated); err != nil {
		return fmt.Errorf("rotate console log: %w", err)
	}
	f, err := c.dir.Open(c.name, os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("rotate console log: %w", err)
	}
	c.f.Close()
	c.f, c.size = f, 0
	return nil
}

// Close closes the log; later writes fail.
func (c *console) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}
