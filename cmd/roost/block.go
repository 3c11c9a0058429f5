package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"time"

	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/internal/compress"
	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/plan/planjson"
	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

const blockHelp = `
Work with the block devices of the data directory (dbdir/block/NAME), the
one thing on a roost host that cannot be rebuilt from git.

  roost block list [-json]
      Every block on the host: its size, the disk it takes (less when the
      file is sparse), whether the configuration in the current directory
      declares it ("declared"), does not ("retained": apply keeps it), or
      cannot be read ("unknown"), and the unikernels whose applied spec
      attaches it, running or stopped.

  roost block export NAME [-o FILE|-] [-gzip]
      Write the block's bytes to FILE, or to standard output ("-", the
      default; never to a terminal). A FILE keeps the block's holes as
      holes; it is written under a temporary name and linked into place
      when complete, and an existing FILE is refused, never overwritten.
      -gzip compresses the output. The block must not be attached to a
      running unikernel (remove it from the configuration and run roost
      apply -target unikernel.NAME to stop it alone).

  roost block import NAME FILE|- [-allow-data-loss]
      Replace the contents of the block NAME, which apply created, with
      FILE (or standard input: "-"), plain or compressed with gzip or
      zlib (detected by content, not by name). The input, decompressed,
      must fit the block; the block keeps its size (the rest reads as
      zeros) and mode 0600. A block holding any non-zero byte is replaced
      only with -allow-data-loss. The new contents go to a temporary file
      that is synced and renamed over the block: a killed import leaves
      the old contents. The block must not be attached to a running
      unikernel, and import takes the data directory's lock as apply does.

A progress bar goes to standard error when it is a terminal and the block
is larger than 64 MiB.`

// progressMin is the size of block beyond which export and import draw a
// progress bar on a terminal.
const progressMin = 64 << 20

var blockName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}$`)

func runBlock(ctx context.Context, g *globals, args []string) error {
	usage := func() {
		fmt.Fprintf(g.stderr, "Usage: roost block list|export|import [flags] [args]\n%s\n", blockHelp)
	}
	if len(args) == 0 {
		usage()
		return errors.New("block needs a subcommand: list, export or import")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage()
		return flag.ErrHelp
	case "list":
		return runBlockList(ctx, g, args[1:])
	case "export":
		return runBlockExport(ctx, g, args[1:])
	case "import":
		return runBlockImport(ctx, g, args[1:])
	}
	return fmt.Errorf("unknown block subcommand %q; want list, export or import", args[0])
}

func runBlockList(ctx context.Context, g *globals, args []string) error {
	flags := newFlagSet(g, "block list", "[-json]", blockHelp)
	jsonOut := flags.Bool("json", false, "print the blocks as JSON")
	pos, err := parseArgs(flags, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("too many arguments %q; block list takes none", pos)
	}
	s, err := g.openHost(".", localConfig())
	if err != nil {
		return err
	}
	defer s.host.Close()
	out := views.BlockList{FormatVersion: planjson.FormatVersion, DBDir: string(s.dbdir), Blocks: []views.BlockInfo{}}
	entries, err := s.dbdir.ReadDir(s.dbdir.BlockDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("list blocks: %w", err)
	}
	var att map[string][]views.BlockAttachment
	if len(entries) > 0 {
		if att, err = s.attachments(ctx); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if datadir.Hidden(e.Name()) || !e.Type().IsRegular() || !blockName.MatchString(e.Name()) {
			continue // temporary files, and conflicts plan reports
		}
		f, size, err := s.openBlock(e.Name(), os.O_RDONLY)
		if err != nil {
			return err
		}
		var st unix.Stat_t
		err = unix.Fstat(int(f.Fd()), &st)
		f.Close()
		if err != nil {
			return fmt.Errorf("stat block %s: %w", e.Name(), err)
		}
		b := views.BlockInfo{Name: e.Name(), SizeBytes: size, AllocatedBytes: int64(st.Blocks) * 512,
			Config: s.blockConfig(e.Name()), AttachedTo: att[e.Name()]}
		if b.AttachedTo == nil {
			b.AttachedTo = []views.BlockAttachment{}
		}
		out.Blocks = append(out.Blocks, b)
	}
	sort.Slice(out.Blocks, func(i, j int) bool { return out.Blocks[i].Name < out.Blocks[j].Name })
	if *jsonOut {
		return views.WriteJSON(g.stdout, out)
	}
	return views.WriteBlockList(g.stdout, &out)
}

// blockConfig says whether the configuration declares the block name.
func (s *session) blockConfig(name string) string {
	if s.cfg == nil {
		return "unknown"
	}
	for _, b := range s.cfg.Desired.Blocks {
		if b.Name == name {
			return "declared"
		}
	}
	return "retained"
}

// attachments returns, by block, the unikernels whose applied spec
// attaches it, sorted by name.
func (s *session) attachments(ctx context.Context) (map[string][]views.BlockAttachment, error) {
	o, err := s.host.Observe(ctx)
	if err != nil {
		return nil, fmt.Errorf("observe host: %w", err)
	}
	names := make([]string, 0, len(o.Unikernels))
	for n := range o.Unikernels {
		names = append(names, n)
	}
	sort.Strings(names)
	att := map[string][]views.BlockAttachment{}
	for _, n := range names {
		u := o.Unikernels[n]
		if u.Spec == nil {
			continue
		}
		for _, b := range u.Spec.Blocks {
			att[b.Block] = append(att[b.Block], views.BlockAttachment{Unikernel: n, Device: b.Device, Running: u.ShimAlive})
		}
	}
	return att, nil
}

// checkDetached fails if a running unikernel attaches the block name:
// its tender has the file open and writes to it.
func (s *session) checkDetached(ctx context.Context, verb, name string) error {
	att, err := s.attachments(ctx)
	if err != nil {
		return err
	}
	for _, a := range att[name] {
		if a.Running {
			return fmt.Errorf("cannot %s block %q: unikernel %q runs with it attached (device %q). Stop it first: remove unikernel %q from the configuration and run 'roost apply -target unikernel.%s' (which stops it and nothing else), or stop everything with 'roost destroy'",
				verb, name, a.Unikernel, a.Device, a.Unikernel, a.Unikernel)
		}
	}
	return nil
}

// checkBlockName fails for a name that no block can have.
func checkBlockName(name string) error {
	if !blockName.MatchString(name) {
		return fmt.Errorf("invalid block name %q: want lowercase letters, digits, '.' and '-', starting with a letter or digit", name)
	}
	return nil
}

// openBlock opens the block file name beneath the data directory, without
// following links, and returns it with its size.
func (s *session) openBlock(name string, flag int) (*os.File, int64, error) {
	if err := checkBlockName(name); err != nil {
		return nil, 0, err
	}
	f, err := s.dbdir.Open(s.dbdir.Block(name), flag, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("no block %q in %s; roost block list shows the blocks, and apply creates the declared ones", name, s.dbdir)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open block %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("open block %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("block %s: %s is %s, not a block roost made", name, f.Name(), regfile.Kind(fi.Mode()))
	}
	return f, fi.Size(), nil
}

// progress returns a progress bar on stderr for a copy of size bytes, or
// nil when stderr is no terminal or the block is small.
func (g *globals) progress(what string, size int64) *views.Progress {
	f, ok := g.stderr.(*os.File)
	if !ok || size <= progressMin || !isTerminal(f) {
		return nil
	}
	return &views.Progress{W: g.stderr, What: what, Total: size}
}

func runBlockExport(ctx context.Context, g *globals, args []string) error {
	flags := newFlagSet(g, "block export", "NAME [-o FILE|-] [-gzip] [-lock-timeout D]", blockHelp)
	out := flags.String("o", "-", "write to FILE, which must not exist (\"-\": standard output)")
	gz := flags.Bool("gzip", false, "compress the output with gzip")
	lockTimeout := flags.Duration("lock-timeout", 10*time.Second, "how long to wait for the data directory's lock")
	pos, err := parseArgs(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("block export takes one block NAME, got %d arguments", len(pos))
	}
	name := pos[0]
	if *out == "-" {
		if f, ok := g.stdout.(*os.File); ok && isTerminal(f) {
			return errors.New("standard output is a terminal: give -o FILE, or redirect it")
		}
	} else if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("%s exists; block export never overwrites a file: remove it or give another -o", *out)
	}
	_, f, size, done, err := g.lockedBlock(ctx, name, false, *lockTimeout, "export")
	if err != nil {
		return err
	}
	defer done()
	bar := g.progress("export "+name, size)
	var update func(int64)
	if bar != nil {
		update = bar.Update
	}
	c := views.BlockCopy{Block: name, SizeBytes: size, Bytes: size, File: *out}
	if *gz {
		c.Compression = string(compress.Gzip)
	}
	if *out == "-" {
		err = exportStream(g.stdout, f, size, *gz, update)
	} else {
		err = exportFile(ctx, *out, f, size, *gz, update)
	}
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		return fmt.Errorf("export block %s: %w", name, err)
	}
	views.WriteBlockExported(g.stderr, c)
	return nil
}

func runBlockImport(ctx context.Context, g *globals, args []string) error {
	flags := newFlagSet(g, "block import", "NAME FILE|- [-allow-data-loss] [-lock-timeout D]", blockHelp)
	allowDataLoss := flags.Bool("allow-data-loss", false, "replace a block that holds data")
	lockTimeout := flags.Duration("lock-timeout", 10*time.Second, "how long to wait for the data directory's lock")
	pos, err := parseArgs(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("block import takes a block NAME and a FILE (or - for standard input), got %d arguments", len(pos))
	}
	name, from := pos[0], pos[1]
	if err := checkBlockName(name); err != nil {
		return err
	}
	var in io.Reader = g.stdin
	var inSize int64 = -1
	if from != "-" {
		f, fi, err := regfile.Open(from, -1)
		if err != nil {
			return fmt.Errorf("import block %s: %w", name, err)
		}
		defer f.Close()
		// regfile leaves the file non-blocking: read it with pread.
		in, inSize = io.NewSectionReader(f, 0, fi.Size()), fi.Size()
	}
	s, f, size, done, err := g.lockedBlock(ctx, name, true, *lockTimeout, "import into")
	if err != nil {
		return err
	}
	defer done()
	z, err := compress.NewReader(in, size)
	if err != nil {
		return fmt.Errorf("import block %s: %w", name, err)
	}
	defer z.Close()
	if z.Format == compress.None && inSize > size {
		return fmt.Errorf("import block %s: %s has %d bytes, more than the block's %d (%s); a block's size is its declared size", name, from, inSize, size, bytesMiB(size))
	}
	zero, err := allZeros(ctx, f, size)
	if err != nil {
		return fmt.Errorf("import block %s: %w", name, err)
	}
	if !zero && !*allowDataLoss {
		return fmt.Errorf("block %q holds data, which import replaces; run again with -allow-data-loss (roost block export %s -o FILE keeps a copy first)", name, name)
	}
	bar := g.progress("import "+name, size)
	var update func(int64)
	if bar != nil {
		update = bar.Update
	}
	n, err := importBlock(ctx, s.dbdir, name, size, z, update)
	if bar != nil {
		bar.Done()
	}
	if errors.Is(err, compress.ErrTooLarge) {
		return fmt.Errorf("import block %s: %s is larger than the block's %d bytes (%s); the block is unchanged: %w", name, from, size, bytesMiB(size), err)
	}
	if err != nil {
		return fmt.Errorf("import block %s: %w; the block is unchanged", name, err)
	}
	views.WriteBlockImported(g.stdout, views.BlockCopy{Block: name, SizeBytes: size, Bytes: n, Compression: string(z.Format), File: from})
	return nil
}

// bytesMiB is a block size as the configuration writes it.
func bytesMiB(n int64) string { return regfile.Size(n) }

// lockedBlock opens the host, takes the data directory's lock (exclusive
// for a change), opens block name and checks that no running tender has
// it attached (verb says what was refused). done releases all of it.
func (g *globals) lockedBlock(ctx context.Context, name string, exclusive bool, timeout time.Duration, verb string) (s *session, f *os.File, size int64, done func(), err error) {
	if s, err = g.openHost(".", localConfig()); err != nil {
		return nil, nil, 0, nil, err
	}
	release, err := s.lock(ctx, exclusive, timeout)
	if err != nil {
		s.host.Close()
		return nil, nil, 0, nil, err
	}
	unlock := func() { release(); s.host.Close() }
	if f, size, err = s.openBlock(name, os.O_RDONLY); err != nil {
		unlock()
		return nil, nil, 0, nil, err
	}
	closeAll := func() { f.Close(); unlock() }
	if err := s.checkDetached(ctx, verb, name); err != nil {
		closeAll()
		return nil, nil, 0, nil, err
	}
	return s, f, size, closeAll, nil
}
