package simtender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/solo5"
)

// Version is the Solo5 version the simulator reports, in --version and in
// the bindings' banner.
const Version = "v0.9.0-roost-simulator"

// DefaultABI is the tender ABI version the simulator speaks: that of Solo5
// 0.9's hvt and spt tenders.
const DefaultABI = 2

// ABIEnv names the environment variable that overrides DefaultABI, so that
// tests can fake a tender of another ABI version.
const ABIEnv = "ROOST_SIM_ABI"

// defaultMem is the tenders' default guest memory, 512 MiB.
const defaultMem = 0x20000000

// cmdlineSize is HVT_CMDLINE_SIZE and SPT_CMDLINE_SIZE, the terminator
// included.
const cmdlineSize = 8192

// exitStatus ends the tender with this exit code once whatever caused it
// has been printed, as err(3) and errx(3) do.
type exitStatus int

func (e exitStatus) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// tender is one run of the simulated tender.
type tender struct {
	prog   string // basename of argv[0], the prefix of every message
	target solo5.Target
	abi    uint32
	con    *console

	image    string
	notes    *solo5.Notes
	memBytes uint64
	devices  []*device // manifest order
	execHeap bool      // spt --x-exec-heap
}

// device is one manifest entry and what the command line attached to it.
type device struct {
	solo5.Device
	attached bool
	file     *os.File // the tap or the block file

	// NET_BASIC
	iface  string
	mac    [6]byte
	hasMAC bool
	mtu    int

	// BLOCK_BASIC
	path       string
	capacity   int64
	sectorSize uint16
}

// Main runs the simulated tender with the command line args (args[0] is the
// program name) and returns its exit code. Console output goes to stdout,
// the tender's own messages to stderr, as with solo5-hvt and solo5-spt.
//
// Main returns for everything but the signal directive, which kills the
// process: run images that use it in a subprocess. While the guest runs
// under hvt, Main catches SIGINT and SIGTERM as solo5-hvt does; under spt it
// leaves them alone, so they kill the process as they kill solo5-spt.
func Main(args []string, stdout, stderr io.Writer) int {
	t := &tender{prog: "roost-simtender", target: solo5.HVT, abi: DefaultABI, con: newConsole(stdout, stderr)}
	if len(args) > 0 {
		t.prog = filepath.Base(args[0])
		args = args[1:]
	}
	t.target = targetOf(t.prog)
	if v, err := strconv.ParseUint(os.Getenv(ABIEnv), 10, 32); err == nil {
		t.abi = uint32(v)
	}
	defer t.closeDevices()
	code, err := t.run(args)
	if err != nil {
		var es exitStatus
		if errors.As(err, &es) {
			return int(es)
		}
		t.warnx("%v", err)
		return 1
	}
	return code
}

// targetOf returns the target a tender named prog runs: spt for solo5-spt
// and solo5-spt.N, hvt for every other name.
func targetOf(prog string) solo5.Target {
	if prog == "solo5-spt" {
		return solo5.SPT
	}
	if n, ok := strings.CutPrefix(prog, "solo5-spt."); ok {
		if _, err := strconv.ParseUint(n, 10, 32); err == nil {
			return solo5.SPT
		}
	}
	return solo5.HVT
}

func (t *tender) run(args []string) (int, error) {
	// The first pass looks for the kernel operand only, stopping at the
	// terminal options --help and --version.
	k := 0
	for k < len(args) && strings.HasPrefix(args[k], "-") {
		if args[k] == "--" {
			k++
			break
		}
		switch args[k] {
		case "--help":
			return 0, t.usage()
		case "--version":
			return 0, t.version()
		}
		k++
	}
	if k >= len(args) {
		t.warnx("Missing KERNEL operand")
		return 0, t.usage()
	}
	t.image = args[k]
	if err := t.loadImage(); err != nil {
		return 0, err
	}
	img, err := readBehaviour(t.image)
	if err != nil {
		return 0, err
	}
	t.memBytes = defaultMem
	for _, d := range t.notes.Devices {
		t.devices = append(t.devices, &device{Device: d})
	}

	// The second pass hands each option to the core and the modules. Like
	// hvt_main.c, after --mem=N it offers the next argument to the modules
	// in the same round.
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if args[i] == "--" {
			i++
			break
		}
		matched := false
		if strings.HasPrefix(args[i], "--mem=") {
			if err := t.handleMem(args[i]); err != nil {
				return 0, err
			}
			matched = true
			i++
		}
		if i < len(args) {
			ok, err := t.handleCmdarg(args[i])
			if err != nil {
				return 0, err
			}
			if ok {
				matched = true
				i++
			}
		}
		if !matched {
			t.warnx("Invalid option: `%s'", args[i])
			return 0, t.usage()
		}
	}
	guestArgs := args[k+1:]

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sigc chan os.Signal
	if t.target == solo5.HVT {
		// hvt_main.c installs its handler after parsing the command line;
		// solo5-spt installs none.
		sigc = make(chan os.Signal, 1)
		signal.Notify(sigc, unix.SIGINT, unix.SIGTERM)
		defer signal.Stop(sigc)
	}
	if err := t.setupModules(); err != nil {
		return 0, err
	}
	if err := t.checkCmdline(guestArgs); err != nil {
		return 0, err
	}

	// The guest runs on this goroutine, which roost-simtender keeps on
	// the process's main thread, where Solo5's tenders run theirs; a
	// signal stops it from another.
	g := newGuest(t, img, guestArgs)
	stopped := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case sig := <-sigc:
			t.con.stop()
			t.con.errorf("%s: Exiting on signal %d\n", t.prog, sig.(unix.Signal))
			close(stopped)
			cancel()
		case <-ctx.Done():
		}
	}()
	code := g.run(ctx)
	cancel()
	<-watched
	select {
	case <-stopped:
		return 0, exitStatus(1)
	default:
		return code, nil
	}
}

// loadImage checks the image's notes as the tenders do, in their order: the
// ABI note, its target and version, then the manifest.
func (t *tender) loadImage() error {
	f, err := os.Open(t.image)
	if err != nil {
		return t.err(1, err, "%s: Could not open", t.image)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return t.err(1, err, "%s: Could not open", t.image)
	}
	notes, perr := solo5.ParseNotes(t.image, f, fi.Size())
	if perr != nil && (errors.Is(perr, solo5.ErrNoManifest) || errors.Is(perr, solo5.ErrManifest)) {
		// The ABI note was fine; the tender checks it before it looks
		// at the manifest.
		if target, version, ok := abiNote(f); ok {
			notes = &solo5.Notes{Target: target, ABIVersion: version}
		}
	}
	switch {
	case perr == nil, notes != nil:
	case errors.Is(perr, solo5.ErrNoABI):
		return t.errx(1, "%s: No Solo5 ABI information found in executable", t.image)
	case fi.Size() < 64:
		t.warnx("%s: invalid executable: elf header does not match the expected size (%d != 64)", t.image, fi.Size())
		return exitStatus(1)
	case errors.Is(perr, solo5.ErrNotELF), errors.Is(perr, solo5.ErrUnsupported):
		t.warnx("%s: invalid executable: invalid or unsupported executable (elf header invalid while loading note)", t.image)
		return exitStatus(1)
	case errors.Is(perr, solo5.ErrMalformed):
		t.warnx("%s: invalid executable: %s", t.image, innerError(perr))
		return exitStatus(1)
	default:
		t.warnx("%s: %s", t.image, innerError(perr))
		return exitStatus(1)
	}
	if notes.Target != t.target {
		return t.errx(1, "%s: Executable is not for the solo5-%s target", t.image, t.target)
	}
	if notes.ABIVersion != t.abi {
		return t.errx(1, "%s: Executable requests unsupported ABI version %d", t.image, notes.ABIVersion)
	}
	switch {
	case errors.Is(perr, solo5.ErrNoManifest):
		return t.errx(1, "%s: No Solo5 manifest found in executable", t.image)
	case perr != nil:
		return t.errx(1, "%s: Solo5 manifest is invalid", t.image)
	}
	t.notes = notes
	return nil
}

// innerError returns the text of err without the *os.PathError wrapping
// that names the file, which the message names already.
func innerError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (t *tender) checkCmdline(args []string) error {
	n := 0
	for i, a := range args {
		n += len(a)
		if i < len(args)-1 {
			n++
		}
		if n >= cmdlineSize {
			return t.errx(1, "Guest command line too long (max=%d characters)", cmdlineSize-1)
		}
	}
	return nil
}

func (t *tender) closeDevices() {
	for _, d := range t.devices {
		if d.file != nil {
			d.file.Close()
		}
	}
}

// warnx prints "prog: message" on stderr, as warnx(3) does.
func (t *tender) warnx(format string, a ...any) {
	t.con.errorf("%s: %s\n", t.prog, fmt.Sprintf(format, a...))
}

// errx is errx(3): warnx, then end the tender with code.
func (t *tender) errx(code int, format string, a ...any) error {
	t.warnx(format, a...)
	return exitStatus(code)
}

// err is err(3): errx with the C library's text for cause appended.
func (t *tender) err(code int, cause error, format string, a ...any) error {
	t.warnx("%s: %s", fmt.Sprintf(format, a...), strerror(cause))
	return exitStatus(code)
}

func (t *tender) usage() error {
	var b strings.Builder
	if t.target == solo5.SPT {
		fmt.Fprintf(&b, "usage: %s [ CORE OPTIONS ] [ -- ] KERNEL [ ARGS ]\n", t.prog)
	} else {
		fmt.Fprintf(&b, "usage: %s [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]\n", t.prog)
	}
	b.WriteString("KERNEL is the filename of the unikernel to run.\n")
	b.WriteString("ARGS are optional arguments passed to the unikernel.\n")
	b.WriteString("Core options:\n")
	b.WriteString("  [ --mem=512 ] (guest memory in MB)\n")
	b.WriteString("    --help (display this help)\n")
	if t.target == solo5.SPT {
		b.WriteString("Compiled-in modules: core net block \n")
		b.WriteString("Compiled-in module options:\n")
		b.WriteString("    " + sptCoreUsage + "\n")
		b.WriteString("    " + netUsage + "\n")
		b.WriteString("    " + blockUsage + "\n")
	} else {
		b.WriteString("    --version (display version information)\n")
		b.WriteString("Compiled-in modules: core block net \n")
		b.WriteString("Compiled-in module options:\n")
		b.WriteString("    " + blockUsage + "\n")
		b.WriteString("    " + netUsage + "\n")
	}
	t.con.errorf("%s", b.String())
	return exitStatus(1)
}

const (
	blockUsage = "--block:NAME=PATH (attach block device/file at PATH as block storage NAME)\n" +
		"  [ --block-sector-size:NAME=SECTORSIZE ] (set sector size for block device NAME; must be a power of two greater than or equal 512)"
	netUsage = "--net:NAME=IFACE | @NN (attach tap at IFACE or at fd @NN as network NAME)\n" +
		"  [ --net-mac:NAME=HWADDR ] (set HWADDR for network NAME)"
	sptCoreUsage = "--x-exec-heap (make the heap executable). WARNING: This option is dangerous and not recommended as it makes the heap and stack executable."
)

func (t *tender) version() error {
	t.con.errorf("%s tender, version %s\nABI version %d\n", t.prog, Version, t.abi)
	return exitStatus(0)
}

// strerror returns the C library's text for err's errno ("No such file or
// directory"), which Go spells in lower case.
func strerror(err error) string {
	var errno unix.Errno
	s := err.Error()
	if errors.As(err, &errno) {
		s = errno.Error()
	}
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
