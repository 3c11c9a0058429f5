package simtender

import (
	"fmt"
	"io"
	"sync"
)

// console serialises the guest's and the tender's output, and silences the
// guest once the tender is exiting on a signal.
type console struct {
	mu      sync.Mutex // guards stopped and writes to stdout and stderr
	stdout  io.Writer
	stderr  io.Writer
	stopped bool
}

func newConsole(stdout, stderr io.Writer) *console {
	return &console{stdout: stdout, stderr: stderr}
}

// printf writes guest output to stdout, as the tenders' puts hypercall does.
func (c *console) printf(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		fmt.Fprintf(c.stdout, format, a...)
	}
}

// guestErrorf writes a message of the tender's about the running guest to
// stderr, unless the tender is already exiting.
func (c *console) guestErrorf(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		fmt.Fprintf(c.stderr, format, a...)
	}
}

// errorf writes a message of the tender's to stderr.
func (c *console) errorf(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.stderr, format, a...)
}

// stop silences the guest: the tender is exiting.
func (c *console) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
}
