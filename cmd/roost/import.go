package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roostd/roost/internal/albatross"
	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/platform/datadir"
)

const importHelp = `
Carry a host over from albatross (robur's albatrossd) in one command.

  roost import albatross [-from ALBATROSS_DBDIR | -state FILE] -o DIR
                         [-blocks copy|move|none]

reads albatross's state dump (ALBATROSS_DBDIR/state, default
/var/lib/albatross on Linux, /var/db/albatross on FreeBSD) and writes DIR,
which must not exist or be empty, as a roost configuration: one NAME.hcl
per unikernel, its image decompressed into DIR/images/. Bridges are
referenced as existing host bridges (albatross never created them), fail
behaviour becomes a restart block, startup priorities become depends_on
between priority groups. A value roost cannot take is written as albatross
had it, with a comment, so that roost validate names it.

The block files under ALBATROSS_DBDIR/block go into roost's data directory
(-dbdir, $ROOST_DBDIR or the default) under block/:
  copy  (the default) copied, sparse, and verified by SHA-256;
  move  renamed (both data directories on one file system);
  none  left alone.
An existing roost block is never replaced. With -state FILE there is no
albatross block directory, and -blocks is none.

import refuses while albatrossd runs: its socket (-albatross-tmpdir,
default /run/albatross on Linux, /var/run/albatross on FreeBSD, then
util/vmmd.sock) answers, or a process holds a file of ALBATROSS_DBDIR.`

func runImport(ctx context.Context, g *globals, args []string) error {
	if len(args) == 0 || args[0] != "albatross" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fmt.Fprintf(g.stderr, "Usage: roost import albatross [flags]\n%s\n", importHelp)
			return flag.ErrHelp
		}
		return errors.New("import needs a source: roost import albatross -o DIR")
	}
	return runImportAlbatross(ctx, g, args[1:])
}

func albatrossDefaults() (dbdir, tmpdir string) {
	if runtime.GOOS == "linux" {
		return "/var/lib/albatross", "/run/albatross"
	}
	return "/var/db/albatross", "/var/run/albatross"
}

func runImportAlbatross(ctx context.Context, g *globals, args []string) error {
	o, err := parseImportFlags(g, args)
	if err != nil {
		return err
	}
	if err := albatrossRunning(o.tmpdir, o.albDB); err != nil {
		return err
	}
	if err := emptyDir(o.outDir); err != nil {
		return err
	}
	st, err := readAlbatrossState(o.stateFile)
	if err != nil {
		return err
	}
	imp, err := convertAlbatross(st, albatrossBlockSize(o.albDB))
	if err != nil {
		return err
	}
	var dbdir datadir.Dir
	var moved []string
	if o.blocks != "none" && len(imp.Blocks) > 0 {
		s, err := g.openHost(".", nil)
		if err != nil {
			return err
		}
		defer s.host.Close()
		release, err := s.lock(ctx, true, o.lockTimeout)
		if err != nil {
			return err
		}
		defer release()
		dbdir = s.dbdir
		if moved, err = carryBlocks(ctx, dbdir, o, imp); err != nil {
			return err
		}
	}
	if err := writeImport(o.outDir, imp.Files); err != nil {
		return err
	}
	printImport(g.stdout, st, imp, o.outDir, o.blocks, dbdir, moved)
	return nil
}

// importOptions are import albatross's flags, checked, with the paths
// resolved.
type importOptions struct {
	albDB, stateFile, outDir, blocks, tmpdir string
	lockTimeout                              time.Duration
}

func parseImportFlags(g *globals, args []string) (*importOptions, error) {
	defDB, defTmp := albatrossDefaults()
	flags := newFlagSet(g, "import albatross", "[-from ALBATROSS_DBDIR | -state FILE] -o DIR [-blocks copy|move|none]", importHelp)
	from := flags.String("from", "", "albatross's data directory (default "+defDB+")")
	stateFile := flags.String("state", "", "albatross's state dump, read alone (no blocks)")
	outDir := flags.String("o", "", "the configuration directory to write (must not exist, or be empty)")
	blocks := flags.String("blocks", "copy", "what to do with albatross's block files: copy, move or none")
	tmpdir := flags.String("albatross-tmpdir", defTmp, "albatross's run directory, where albatrossd's socket is")
	lockTimeout := flags.Duration("lock-timeout", 10*time.Second, "how long to wait for the data directory's lock")
	pos, err := parseArgs(flags, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, fmt.Errorf("import albatross takes no arguments, got %q", pos)
	}
	if *outDir == "" {
		return nil, errors.New("import albatross needs -o DIR, the configuration directory to write")
	}
	switch *blocks {
	case "copy", "move", "none":
	default:
		return nil, fmt.Errorf("-blocks is %q; use copy, move or none", *blocks)
	}
	if *from != "" && *stateFile != "" {
		return nil, errors.New("give -from or -state, not both")
	}
	blocksSet := false
	flags.Visit(func(f *flag.Flag) { blocksSet = blocksSet || f.Name == "blocks" })
	if *stateFile != "" && !blocksSet {
		*blocks = "none"
	}
	if *stateFile != "" && *blocks != "none" {
		return nil, errors.New("-state reads a dump alone, with no albatross block directory: -blocks must be none; use -from ALBATROSS_DBDIR to carry blocks over")
	}
	o := &importOptions{albDB: *from, stateFile: *stateFile, outDir: *outDir, blocks: *blocks, tmpdir: *tmpdir, lockTimeout: *lockTimeout}
	if o.stateFile == "" {
		if o.albDB == "" {
			o.albDB = defDB
		}
		o.stateFile = filepath.Join(o.albDB, "state")
	}
	return o, nil
}

// readAlbatrossState reads and decodes albatross's state dump.
func readAlbatrossState(path string) (*albatross.State, error) {
	f, fi, err := regfile.Open(path, 1<<32)
	if err != nil {
		return nil, fmt.Errorf("read albatross state: %w", err)
	}
	dump, err := io.ReadAll(io.NewSectionReader(f, 0, fi.Size()))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read albatross state %s: %w", path, err)
	}
	st, err := albatross.DecodeState(dump)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return st, nil
}

// albatrossBlockSize tells the sizes of the block files in albatross's
// data directory albDB; nil without one.
func albatrossBlockSize(albDB string) blockFileSize {
	if albDB == "" {
		return nil
	}
	return func(file string) (int64, error) {
		fi, err := os.Lstat(filepath.Join(albDB, "block", file))
		if err != nil {
			return 0, err
		}
		if !fi.Mode().IsRegular() {
			return 0, fmt.Errorf("%s is no regular file", file)
		}
		return fi.Size(), nil
	}
}

// carryBlocks copies or moves albatross's block files into dbdir, as
// o.blocks says, and returns the roost blocks made.
func carryBlocks(ctx context.Context, dbdir datadir.Dir, o *importOptions, imp *albatrossImport) ([]string, error) {
	var moved []string
	for _, b := range imp.Blocks {
		if b.Size < 0 {
			continue
		}
		src := filepath.Join(o.albDB, "block", b.File)
		size := (b.Size + 1<<20 - 1) >> 20 << 20
		var err error
		if o.blocks == "move" {
			err = moveBlock(dbdir, src, b.Block, size)
		} else {
			err = copyBlock(ctx, dbdir, src, b.Block, size)
		}
		if err != nil {
			return moved, fmt.Errorf("%s albatross block %s to roost block %s: %w (the configuration was not written)", o.blocks, b.File, b.Block, err)
		}
		moved = append(moved, b.Block)
	}
	return moved, nil
}

// albatrossRunning fails while albatrossd runs: its socket answers, or a
// process (albatrossd, a tender) holds a file of its data directory.
func albatrossRunning(tmpdir, dbdir string) error {
	stop := "stop it first (systemctl stop albatross_daemon, or service albatross_daemon stop on FreeBSD)"
	sock := filepath.Join(tmpdir, "util", "vmmd.sock")
	if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("albatrossd is running (its socket %s answers): %s", sock, stop)
	}
	if dbdir == "" {
		return nil
	}
	abs, err := filepath.Abs(dbdir)
	if err != nil {
		return err
	}
	if pid, path := holder(abs); pid != 0 {
		return fmt.Errorf("process %d holds %s, a file of albatross's data directory: %s", pid, path, stop)
	}
	return nil
}

// holder returns a process that has a file beneath dir open, and the
// file, by /proc/PID/fd (where there is a /proc with fd links; elsewhere
// it finds none).
func holder(dir string) (int, string) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, ""
	}
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", e.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			p, err := os.Readlink(filepath.Join("/proc", e.Name(), "fd", fd.Name()))
			if err == nil && (p == dir || strings.HasPrefix(p, dir+"/")) {
				return pid, p
			}
		}
	}
	return 0, ""
}

// emptyDir refuses a DIR that holds anything: import never overwrites.
func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check -o %s: %w", dir, err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("-o %s is not empty; import writes a new configuration directory and overwrites nothing", dir)
	}
	return nil
}

func writeImport(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		_, err = f.Write(files[n])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// copyBlock copies the albatross block src into roost's block name of
// size bytes: sparse, to a temporary file that is checked against src by
// SHA-256, synced and then linked to the name, which fails rather than
// replace a block that exists.
//
// A roost block that exists already is accepted when it is the copy an
// earlier, interrupted import made (its size is size, its first bytes
// hash as src): import can run again. Any other is refused.
func copyBlock(ctx context.Context, d datadir.Dir, src, name string, size int64) error {
	in, fi, err := regfile.Open(src, -1)
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := os.Lstat(d.Block(name)); err == nil {
		if same, err := sameBlock(d.Block(name), in, fi.Size(), size); err != nil || !same {
			return fmt.Errorf("roost block %s exists and is no copy of this albatross block; import replaces no block (roost block export %s keeps a copy, then remove it)", name, name)
		}
		return nil
	}
	if err := os.MkdirAll(d.BlockDir(), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.BlockDir(), "."+name+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := copyExtents(ctx, tmp, in, fi.Size(), nil); err != nil {
		return err
	}
	if err := tmp.Truncate(size); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	want, err := sum256(io.NewSectionReader(in, 0, fi.Size()))
	if err != nil {
		return err
	}
	got, err := sum256(io.NewSectionReader(tmp, 0, fi.Size()))
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("the copy's SHA-256 is %x, the original's %x", got, want)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), d.Block(name)); err != nil {
		return err
	}
	return d.SyncDir(d.BlockDir())
}

// sameBlock reports whether the block file path has size bytes and
// starts with the srcSize bytes of src.
func sameBlock(path string, src *os.File, srcSize, size int64) (bool, error) {
	f, fi, err := regfile.Open(path, -1)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if fi.Size() != size {
		return false, nil
	}
	want, err := sum256(io.NewSectionReader(src, 0, srcSize))
	if err != nil {
		return false, err
	}
	got, err := sum256(io.NewSectionReader(f, 0, srcSize))
	return got == want, err
}

func sum256(r io.Reader) ([32]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return [32]byte{}, err
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s, nil
}

// moveBlock renames the albatross block src to roost's block name, which
// must not exist, on one file system, and grows it to size bytes.
func moveBlock(d datadir.Dir, src, name string, size int64) error {
	if _, err := os.Lstat(d.Block(name)); err == nil {
		return fmt.Errorf("roost block %s exists; import replaces no block", name)
	}
	if err := os.MkdirAll(d.BlockDir(), 0o700); err != nil {
		return err
	}
	// Link, then remove: a rename would replace a block made meanwhile.
	if err := os.Link(src, d.Block(name)); err != nil {
		if errors.Is(err, syscall.EXDEV) {
			return fmt.Errorf("%w: the data directories are on different file systems; use -blocks copy", err)
		}
		return err
	}
	if err := os.Remove(src); err != nil {
		return err
	}
	if err := os.Chmod(d.Block(name), 0o600); err != nil {
		return err
	}
	if fi, err := os.Stat(d.Block(name)); err != nil {
		return err
	} else if fi.Size() < size {
		if err := os.Truncate(d.Block(name), size); err != nil {
			return err
		}
	}
	return d.SyncDir(d.BlockDir())
}
