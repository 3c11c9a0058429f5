package simtender

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/roostd/roost/platform/solo5"
	"golang.org/x/sys/unix"
)

// cancelled is what guest.run returns when the tender stopped it.
const cancelled = -1

// guest plays the unikernel: Solo5's bindings (banner, logging, exit) and
// an application that follows the behaviour directives.
type guest struct {
	t   *tender
	con *console
	img image
	// args is the application's command line: the guest arguments without
	// the leading --solo5: options, which the bindings consume, and
	// without --sim=.
	args   []string
	sim    string // the --sim= text, when hasSim
	hasSim bool
	quiet  bool // a --solo5: log level below INFO
}

func newGuest(t *tender, img image, guestArgs []string) *guest {
	g := &guest{t: t, con: t.con, img: img}
	i := 0
	// bindings/cmdline.c: leading --solo5:LEVEL options set the log level.
levels:
	for ; i < len(guestArgs); i++ {
		switch guestArgs[i] {
		case "--solo5:quiet", "--solo5:error", "--solo5:warn":
			g.quiet = true
		case "--solo5:info", "--solo5:debug":
			g.quiet = false
		default:
			break levels
		}
	}
	for _, a := range guestArgs[i:] {
		if text, ok := strings.CutPrefix(a, "--sim="); ok {
			g.sim, g.hasSim = text, true
			continue
		}
		g.args = append(g.args, a)
	}
	return g
}

// log prints an INFO message of the bindings.
func (g *guest) log(format string, a ...any) {
	if !g.quiet {
		g.con.printf(format, a...)
	}
}

// exit is solo5_exit: the tender exits with status.
func (g *guest) exit(status int) int {
	g.log("Solo5: solo5_exit(%d) called\n", status)
	return status & 0xff
}

// abort is solo5_abort: the tender exits with SOLO5_EXIT_ABORT.
func (g *guest) abort() int {
	g.log("Solo5: solo5_abort() called\n")
	return 255
}

// fail reports a bad command line or behaviour as MirageOS reports bad
// arguments: a console line, then exit code 64.
func (g *guest) fail(err error) int {
	g.con.printf("roost-sim: %v\n", err)
	return g.exit(64)
}

// run runs the guest until its behaviour ends or ctx is cancelled, and
// returns the tender's exit code, or cancelled.
func (g *guest) run(ctx context.Context) int {
	g.banner()
	text := g.img.behaviour
	if g.hasSim {
		text = g.sim
	}
	prog, err := parseBehaviour(text)
	if err != nil {
		return g.fail(err)
	}
	addr, err := g.ipv4()
	if err != nil {
		return g.fail(err)
	}
	for _, d := range prog {
		if d.dev != "" && g.t.lookup(d.dev, solo5.BlockBasic) == nil {
			return g.fail(fmt.Errorf("%s: no block device %s in the manifest", d.op, d.dev))
		}
	}
	for _, d := range prog {
		if ctx.Err() != nil {
			return cancelled
		}
		switch d.op {
		case "print":
			g.con.printf("%s\n", d.text)
		case "sleep":
			if !sleep(ctx, d.dur) {
				return cancelled
			}
		case "spin":
			if !spin(ctx, d.dur) {
				return cancelled
			}
		case "exit":
			return g.exit(d.n)
		case "abort":
			return g.abort()
		case "signal":
			err := dieBySignal(d.sig)
			g.con.printf("roost-sim: signal %d: %v\n", d.sig, err)
			return g.abort()
		case "tick":
			for n := 1; ; n++ {
				if !sleep(ctx, d.dur) {
					return cancelled
				}
				g.con.printf("tick %d\n", n)
			}
		case "serve":
			if err := g.serve(ctx, addr); err != nil {
				return g.fatal(err)
			}
			return cancelled
		case "block-write", "block-read":
			if code, ok := g.block(d); !ok {
				return code
			}
		case "args":
			g.con.printf("%s\n", strings.Join(g.args, " "))
		default:
			panic("BUG: directive " + d.op + " parsed but not run")
		}
	}
	return g.exit(0)
}

// ipv4 returns the address of the guest argument --ipv4=ADDR/PREFIX, or the
// zero Prefix.
func (g *guest) ipv4() (netip.Prefix, error) {
	var p netip.Prefix
	for _, a := range g.args {
		v, ok := strings.CutPrefix(a, "--ipv4=")
		if !ok {
			continue
		}
		var err error
		p, err = netip.ParsePrefix(v)
		if err != nil || !p.Addr().Is4() {
			return p, fmt.Errorf("invalid --ipv4 %q: want an IPv4 address and prefix length", v)
		}
	}
	return p, nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// spin computes until the calling thread has used d of CPU time, or ctx
// is done (false).
func spin(ctx context.Context, d time.Duration) bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return sleep(ctx, d)
	}
	end := time.Duration(ts.Nano()) + d
	for ctx.Err() == nil {
		if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil || time.Duration(ts.Nano()) >= end {
			return true
		}
	}
	return false
}

// block runs block-write or block-read. It returns the tender's exit code
// and false when the guest is done.
func (g *guest) block(d directive) (int, bool) {
	dev := g.t.lookup(d.dev, solo5.BlockBasic)
	n := d.len
	if d.op == "block-write" {
		n = int64(len(d.text))
	}
	if d.off >= dev.capacity || n > dev.capacity-d.off {
		// Solo5 returns SOLO5_R_EINVAL; the application gives up.
		g.con.printf("roost-sim: %s %s %d: %d bytes beyond the capacity (%d bytes)\n", d.op, d.dev, d.off, n, dev.capacity)
		return g.abort(), false
	}
	if d.op == "block-write" {
		if _, err := dev.file.WriteAt([]byte(d.text), d.off); err != nil {
			return g.fatal(&ioError{op: "writing", err: err}), false
		}
		return 0, true
	}
	b := make([]byte, n)
	if _, err := dev.file.ReadAt(b, d.off); err != nil {
		return g.fatal(&ioError{op: "reading", err: err}), false
	}
	g.con.printf("block-read %s %d %d: %q\n", d.dev, d.off, n, b)
	return 0, true
}

// ioError is a failed read or write on a host device while the guest runs;
// the tender reports it and exits.
type ioError struct {
	op  string // "reading" or "writing", as the tenders say it
	err error
}

func (e *ioError) Error() string { return e.op + ": " + e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

// fatal ends the tender over err, as the tenders' hypercall handlers do.
func (g *guest) fatal(err error) int {
	var ioe *ioError
	if errors.As(err, &ioe) {
		g.con.guestErrorf("Fatal error when %s: %s\n", ioe.op, strerror(ioe.err))
	} else {
		g.con.guestErrorf("%s: %v\n", g.t.prog, err)
	}
	return 1
}

// banner prints what Solo5's bindings print before the application starts
// (bindings/hvt/start.c, bindings/mem.c).
func (g *guest) banner() {
	g.log("            |      ___|\n")
	g.log("  __|  _ \\  |  _ \\ __ \\\n")
	g.log("\\__ \\ (   | | (   |  ) |\n")
	g.log("____/\\___/ _|\\___/____/\n")
	g.log("Solo5: Bindings version %s\n", Version)
	const page = 0x1000
	stext := uint64(0x100000) // HVT_GUEST_MIN_BASE
	etext := stext + (max(g.img.loadSize, 1)+page-1)&^(page-1)
	erodata := etext + page
	end := erodata + page
	mem := g.t.memBytes
	g.log("Solo5: Memory map: %d MB addressable:\n", mem>>20)
	g.log("Solo5:   reserved @ (0x0 - 0x%x)\n", stext-1)
	g.log("Solo5:       text @ (0x%x - 0x%x)\n", stext, etext-1)
	g.log("Solo5:     rodata @ (0x%x - 0x%x)\n", etext, erodata-1)
	g.log("Solo5:       data @ (0x%x - 0x%x)\n", erodata, end-1)
	g.log("Solo5:       heap >= 0x%x < stack < 0x%x\n", end, mem)
}
