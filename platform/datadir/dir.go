package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir is a roost data directory:
//
//	roost.lock                      flock: apply/destroy/watch exclusive, plan shared
//	applied.json                    provenance: which configuration was applied, when, by what
//	images/<sha256>                 content-addressed image copies (0400)
//	block/<name>                    block devices (0600)
//	unikernels/<name>/spec.json     what was applied (Spec)
//	unikernels/<name>/status.json   written by the shim (Status)
//	unikernels/<name>/shim.lock     held by the live shim
//	unikernels/<name>/shim.log      the shim's own log
//	unikernels/<name>/console.log   console output, rotated to console.log.1
//
// The path methods only join names: callers check that a name is a valid
// unikernel or block name, a single path element, before they use it.
type Dir string

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

// Init creates the data directory and its subdirectories, mode 0700.
func (d Dir) Init() error {
	for _, p := range []string{string(d), d.ImagesDir(), d.BlockDir(), d.UnikernelsDir()} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return fmt.Errorf("create data directory %s: %w", p, err)
		}
		if err := RejectSymlink(p); err != nil {
			return err
		}
	}
	return os.Chmod(string(d), 0o700)
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
