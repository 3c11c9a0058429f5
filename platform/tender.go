package platform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roostd/roost/internal/subproc"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
)

// Tender is a Solo5 tender binary on the host.
type Tender struct {
	Path       string
	Target     solo5.Target
	ABIVersion uint32
	// Version is the first line the tender printed for --version, for
	// example "solo5-hvt tender, version v0.9.0".
	Version string
}

// ErrNoTender means no tender for an image's target and ABI version exists
// in the searched directories.
var ErrNoTender = errors.New("no Solo5 tender found")

var abiLine = regexp.MustCompile(`(?m)^ABI version (\d+)\s*$`)

// VersionTimeout bounds each `--version` (and the shim's `-version`) roost
// runs; a real tender answers in milliseconds.
const VersionTimeout = 5 * time.Second

// versionTimeout is VersionTimeout, shortened by tests.
var versionTimeout = VersionTimeout

// QueryTender runs `path --version` and returns what it says. Solo5 tenders
// print their version on stderr and exit 0. The tender runs through
// subproc: in a process group of its own, killed as a whole after
// VersionTimeout or when ctx ends (issue 8, finding 9).
func QueryTender(ctx context.Context, path string) (*Tender, error) {
	res, err := subproc.Run(ctx, versionTimeout, path, "--version")
	out := string(res.Stderr) + string(res.Stdout)
	if err != nil {
		if said := firstLine(out); said != "" {
			return nil, fmt.Errorf("run %s --version: %w (it printed %q)", path, err, said)
		}
		return nil, fmt.Errorf("run %s --version: %w", path, err)
	}
	m := abiLine.FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("run %s --version: no \"ABI version N\" line in its output %q", path, firstLine(out))
	}
	abi, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		return nil, fmt.Errorf("run %s --version: ABI version %q: %w", path, m[1], err)
	}
	t := &Tender{Path: path, ABIVersion: uint32(abi), Version: firstLine(out)}
	name := filepath.Base(path)
	name = strings.TrimPrefix(name, "solo5-")
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	t.Target, _ = solo5.ParseTarget(name)
	return t, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// TenderFinder finds tenders and remembers what each binary said, so that a plan
// of a hundred unikernels runs each tender's --version once. Tender lookup
// runs binaries, so it lives here rather than in the pure solo5 leaf.
type TenderFinder struct {
	// Dirs are searched in order; PATH is searched after them.
	Dirs []string
	// NoPath leaves PATH out of the search.
	NoPath bool

	mu    sync.Mutex // guards cache
	cache map[string]cachedTender
}

type cachedTender struct {
	mtime time.Time
	size  int64
	t     *Tender
	err   error
}

// Searched returns the directories f searches, in order.
func (f *TenderFinder) Searched() []string {
	dirs := append([]string(nil), f.Dirs...)
	if !f.NoPath {
		dirs = append(dirs, filepath.SplitList(os.Getenv("PATH"))...)
	}
	return dirs
}

// Find returns the first tender for target t that speaks ABI version abi:
// in each searched directory, solo5-<target>.<abi> and then solo5-<target>.
// When none does, the error wraps ErrNoTender and names what was found
// with another ABI version.
func (f *TenderFinder) Find(ctx context.Context, t solo5.Target, abi uint32) (*Tender, error) {
	var mismatched []string
	for _, dir := range f.Searched() {
		if dir == "" {
			continue
		}
		for _, name := range solo5.TenderNames(t, abi) {
			p := filepath.Join(dir, name)
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if fi.Mode().Perm()&0o111 == 0 {
				mismatched = append(mismatched, p+" is not executable")
				continue
			}
			tender, err := f.query(ctx, p, fi)
			if err != nil {
				mismatched = append(mismatched, err.Error())
				continue
			}
			if tender.ABIVersion != abi {
				mismatched = append(mismatched, fmt.Sprintf("%s speaks ABI version %d", p, tender.ABIVersion))
				continue
			}
			tender.Target = t
			return tender, nil
		}
	}
	var also string
	if len(mismatched) > 0 {
		also = " (" + strings.Join(mismatched, "; ") + ")"
	}
	where := "$PATH"
	if len(f.Dirs) > 0 {
		where = strings.Join(f.Dirs, ", ") + " and $PATH"
	}
	if f.NoPath {
		where = strings.Join(f.Dirs, ", ")
	}
	return nil, fmt.Errorf("%w: no %s speaking ABI version %d in %s%s", ErrNoTender,
		strings.Join(solo5.TenderNames(t, abi), " or "), abi, where, also)
}

func (f *TenderFinder) query(ctx context.Context, p string, fi os.FileInfo) (*Tender, error) {
	f.mu.Lock()
	c, ok := f.cache[p]
	f.mu.Unlock()
	if ok && c.mtime.Equal(fi.ModTime()) && c.size == fi.Size() {
		if c.err != nil {
			return nil, c.err
		}
		t := *c.t
		return &t, nil
	}
	t, err := QueryTender(ctx, p)
	f.mu.Lock()
	if f.cache == nil {
		f.cache = make(map[string]cachedTender)
	}
	f.cache[p] = cachedTender{mtime: fi.ModTime(), size: fi.Size(), t: t, err: err}
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	c2 := *t
	return &c2, nil
}

// NewTenderFinder returns the finder of roost's tender search path: the
// configuration's tender directories, then the data directory, then $PATH.
func NewTenderFinder(configured []string, dbdir datadir.Dir) *TenderFinder {
	return &TenderFinder{Dirs: append(append([]string(nil), configured...), string(dbdir))}
}
