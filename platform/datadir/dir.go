package datadir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Dir is a roost data directory:
//
//	roost.lock                      flock: apply/destroy/watch exclusive, plan shared
//	applied.json                    provenance: which configuration was applied, when, by what
//	images/<sha256>                 content-addressed image copies (ImageMode, 0444)
//	block/<name>                    block devices (0600)
//	unikernels/<name>/spec.json     what was applied (Spec)
//	unikernels/<name>/status.json   written by the shim (Status)
//	unikernels/<name>/shim.lock     held by the live shim
//	unikernels/<name>/shim.log      the shim's own log
//	unikernels/<name>/console.log   console output, rotated to console.log.1
//
// images/, block/ and unikernels/ are 0700: nobody but roost reaches a
// file beneath them by path.
//
// The path methods only join names: callers check that a name is a valid
// unikernel or block name, a single path element, before they use it.
type Dir string

// ImageMode is the mode of a stored image: readable by everyone, so that
// a tender under a user of its own can open its inherited descriptor of
// the image again (/proc/self/fd/N checks the file's mode), while images/
// (0700) keeps every other process from reaching it by path. All the
// tenders of one image then read the one stored file, whose pages the
// page cache holds once, rather than a copy each. Stores before
// ImageMode made images 0400.
const ImageMode fs.FileMode = 0o444

// ImageNotMode are the mode bits a stored image must not have: write
// for anyone, execute for others than roost.
const ImageNotMode fs.FileMode = 0o233

// Paths inside a data directory.
func (d Dir) Lock() string                      { return filepath.Join(string(d), "roost.lock") }
func (d Dir) Applied() string                   { return filepath.Join(string(d), "applied.json") }
func (d Dir) ImagesDir() string                 { return filepath.Join(string(d), "images") }
func (d Dir) Image(sha256 string) string        { return filepath.Join(string(d), "images", sha256) }
func (d Dir) BlockDir() string                  { return filepath.Join(string(d), "block") }
func (d Dir) Block(name string) string          { return filepath.Join(string(d), "block", name) }
func (d Dir) UnikernelsDir() string             { return filepath.Join(string(d), "unikernels") }
func (d Dir) Unikernel(name string) string      { return filepath.Join(string(d), "unikernels", name) }
func (d Dir) Spec(name string) string           { return filepath.Join(d.Unikernel(name), "spec.json") }
func (d Dir) Status(name string) string         { return filepath.Join(d.Unikernel(name), "status.json") }
func (d Dir) ShimLock(name string) string       { return filepath.Join(d.Unikernel(name), "shim.lock") }
func (d Dir) Console(name string) string        { return filepath.Join(d.Unikernel(name), "console.log") }
func (d Dir) ShimLog(name string) string        { return filepath.Join(d.Unikernel(name), "shim.log") }
func (d Dir) ConsoleRotated(name string) string { return d.Console(name) + ".1" }

// Mark is the file that says a directory is a roost data directory.
const Mark = "roost.dbdir"

// markText is the first line of Mark, all of it in a data directory from
// before it had an ID.
const markText = "roost data directory, format 1\n"

// idLen is the length of a data directory's ID, in hex digits.
const idLen = 10

// ID returns the data directory's ID, the second line of its mark ("id
// 3f2a9c1b5d"), or "" when it has none: a data directory from before IDs,
// or none yet. The ID names, on every link roost makes, the data directory
// that made it (the tap and bridge aliases), so that two data directories
// in one network namespace never take or delete each other's links.
func (d Dir) ID() string {
	id, _, _ := d.mark()
	return id
}

// Identity returns the data directory's ID (ID) and whether it may own
// links that a roost from before IDs made, whose aliases name no data
// directory: a data directory that existed then (its mark had no ID, or
// it had no mark but roost's files) may; one made since may not, for
// such links are then another data directory's. A data directory that
// does not exist has neither.
func (d Dir) Identity() (id string, legacyLinks bool) {
	id, legacy, ok := d.mark()
	if ok {
		return id, legacy
	}
	if _, err := os.Lstat(filepath.Join(string(d), Mark)); !errors.Is(err, fs.ErrNotExist) {
		return "", false // unreadable or not roost's: Check says so
	}
	return "", d.foreign() == "" && d.applied()
}

// applied reports whether the unmarked d shows that a roost applied
// something to it: applied.json, or an entry in unikernels/ (not roost.lock
// alone, which a plan creates, nor a temporary file a crash left).
func (d Dir) applied() bool {
	if _, err := os.Lstat(d.Applied()); err == nil {
		return true
	}
	ents, err := readDirAt(d.UnikernelsDir())
	if err != nil {
		return false
	}
	for _, e := range ents {
		if !Hidden(e.Name()) {
			return true
		}
	}
	return false
}

// legacyLine is the third line of a mark that was given its ID by a roost
// with IDs, of a data directory from before them (Identity).
const legacyLine = "links from before IDs\n"

// mark reads Mark: ok says that d carries it, id is its ID, if any, and
// legacy whether it may own links from before IDs (Identity).
func (d Dir) mark() (id string, legacy, ok bool) {
	b, err := d.ReadFile(filepath.Join(string(d), Mark), 4096)
	if err != nil {
		return "", false, false
	}
	rest, ok := strings.CutPrefix(string(b), markText)
	if !ok {
		return "", false, false
	}
	if rest == "" {
		return "", true, true
	}
	line, rest, _ := strings.Cut(rest, "\n")
	id, ok = strings.CutPrefix(line, "id ")
	if !ok || !ValidID(id) || rest != "" && rest != legacyLine {
		return "", false, false
	}
	return id, rest == legacyLine, true
}

// ValidID reports whether id has the form of a data directory's ID: idLen
// lowercase hex digits.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// newID returns a random ID.
func newID() string {
	var b [idLen / 2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ErrNotDataDir means a directory exists where the data directory should
// be, and is not roost's.
var ErrNotDataDir = errors.New("not a roost data directory")

// Init makes d ready for roost: it creates it (mode 0700) with its mark
// and subdirectories, or uses the directory that is there if it carries
// roost's mark. An existing directory without the mark is taken only when
// it is empty, roost's user owns it and only that user may write to it
// (systemd's StateDirectory, say), or when it holds nothing but roost's
// own files (a data directory from before the mark); anything else is
// refused with ErrNotDataDir. roost never changes the mode of a directory
// it did not create.
func (d Dir) Init() error {
	created, err := d.claim()
	if err != nil {
		return err
	}
	for _, p := range []string{d.ImagesDir(), d.BlockDir(), d.UnikernelsDir()} {
		if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create data directory %s: %w", p, err)
		}
		if err := RejectSymlink(p); err != nil {
			return err
		}
	}
	if created {
		return os.Chmod(string(d), 0o700)
	}
	return nil
}

// Check returns an error wrapping ErrNotDataDir if d exists and Init would
// refuse it; a missing d is fine (an empty host).
func (d Dir) Check() error {
	if _, err := os.Lstat(string(d)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := RejectSymlink(string(d)); err != nil {
		return err
	}
	if d.marked() {
		return nil
	}
	if why := d.foreign(); why != "" {
		return fmt.Errorf("data directory %s: %w: %s; give roost a new or empty directory (-dbdir, ROOST_DBDIR)", d, ErrNotDataDir, why)
	}
	return nil
}

// claimMu serializes claims in this process, and lockDir across
// processes: apply's first steps claim at once, and so may several
// commands, some before they take roost.lock. Two of them must not each
// give a data directory an ID of their own: a link stamped with the one
// overwritten would be another data directory's.
var claimMu sync.Mutex

// claim creates d, or checks that the existing d is roost's, and writes
// the mark; created says that it made d.
func (d Dir) claim() (created bool, err error) {
	claimMu.Lock()
	defer claimMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(string(d)), 0o755); err != nil {
		return false, fmt.Errorf("create data directory %s: %w", d, err)
	}
	switch err := os.Mkdir(string(d), 0o700); {
	case err == nil:
		created = true
	case !errors.Is(err, fs.ErrExist):
		return false, fmt.Errorf("create data directory %s: %w", d, err)
	}
	if err := RejectSymlink(string(d)); err != nil {
		return false, err
	}
	if id, _, _ := d.mark(); id != "" {
		return created, nil // the common case, which needs no lock
	}
	unlock, err := lockDir(string(d))
	if err != nil {
		return created, fmt.Errorf("lock data directory %s: %w", d, err)
	}
	defer unlock()
	// Read under the lock even when this process made d: another may
	// have marked it since.
	id, legacy, marked := d.mark()
	if id != "" {
		return created, nil
	}
	if !marked && !created {
		if why := d.foreign(); why != "" {
			return false, fmt.Errorf("data directory %s: %w: %s; give roost a new or empty directory (-dbdir, ROOST_DBDIR)", d, ErrNotDataDir, why)
		}
		_, legacy = d.Identity() // roost's files from before the mark
	}
	// A new mark, or the mark of a data directory from before IDs: with
	// an ID from now on, and whether links from before IDs may be its.
	text := markText + "id " + newID() + "\n"
	if legacy {
		text += legacyLine
	}
	if err := d.WriteFile(filepath.Join(string(d), Mark), []byte(text)); err != nil {
		return created, err
	}
	return created, nil
}

// marked reports whether d carries roost's mark.
func (d Dir) marked() bool {
	_, _, ok := d.mark()
	return ok
}

// foreign says why an existing unmarked d is not to be taken, or "" when
// it may be: empty and private to roost's user, or holding only roost's
// files.
func (d Dir) foreign() string {
	fi, err := os.Lstat(string(d))
	if err != nil {
		return err.Error()
	}
	ents, err := readDirAt(string(d))
	if err != nil {
		return err.Error()
	}
	own := map[string]bool{"roost.lock": true, "applied.json": true, "images": true, "block": true, "unikernels": true}
	for _, e := range ents {
		if e.Name() == Mark && d.marked() {
			return "" // marked since the caller looked: another Init, at the same time
		}
		if !own[e.Name()] && !Hidden(e.Name()) {
			return fmt.Sprintf("it holds %s, which roost did not make", e.Name())
		}
	}
	if len(ents) > 0 {
		return "" // roost's files, from before the mark
	}
	if uid, ok := ownerOf(fi); ok && int(uid) != os.Geteuid() {
		return fmt.Sprintf("it is owned by uid %d, not roost's %d", uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Sprintf("its mode %#o lets others write to it", fi.Mode().Perm())
	}
	return ""
}

// ErrSymlink is returned for a symbolic link where the data directory
// expects a file or directory.
var ErrSymlink = errors.New("symbolic link in data directory")

// ErrOutside is returned for a path that is not inside the data
// directory.
var ErrOutside = errors.New("path outside the data directory")

// RejectSymlink fails if p is a symbolic link: paths inside the data
// directory are never followed through links, so a link planted there
// cannot redirect a write.
func RejectSymlink(p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s: %w", p, ErrSymlink)
	}
	return nil
}

// rel returns path relative to d, refusing one that is not beneath it.
func (d Dir) rel(path string) (string, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(string(d), path)
	}
	r, err := filepath.Rel(filepath.Clean(string(d)), filepath.Clean(path))
	if err != nil || r == "." || r == ".." || filepath.IsAbs(r) || len(r) > 2 && r[:3] == ".."+string(filepath.Separator) {
		return "", &os.PathError{Op: "open", Path: path, Err: ErrOutside}
	}
	return r, nil
}
