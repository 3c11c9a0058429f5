package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// DBDir is a roost data directory:
//
//	roost.lock                      flock: apply/destroy/watch exclusive, plan shared
//	images/<sha256>                 content-addressed image copies (0400)
//	block/<name>                    block devices (0600)
//	unikernels/<name>/spec.json     what was applied
//	unikernels/<name>/status.json   written by the shim
//	unikernels/<name>/shim.lock     held by the live shim
//	unikernels/<name>/console.log   console output, rotated to console.log.1
type DBDir string

// Paths inside a data directory.
func (d DBDir) Lock() string                      { return filepath.Join(string(d), "roost.lock") }
func (d DBDir) ImagesDir() string                 { return filepath.Join(string(d), "images") }
func (d DBDir) Image(sha256 string) string        { return filepath.Join(string(d), "images", sha256) }
func (d DBDir) BlockDir() string                  { return filepath.Join(string(d), "block") }
func (d DBDir) Block(name string) string          { return filepath.Join(string(d), "block", name) }
func (d DBDir) UnikernelsDir() string             { return filepath.Join(string(d), "unikernels") }
func (d DBDir) Unikernel(name string) string      { return filepath.Join(string(d), "unikernels", name) }
func (d DBDir) Spec(name string) string           { return filepath.Join(d.Unikernel(name), "spec.json") }
func (d DBDir) Status(name string) string         { return filepath.Join(d.Unikernel(name), "status.json") }
func (d DBDir) ShimLock(name string) string       { return filepath.Join(d.Unikernel(name), "shim.lock") }
func (d DBDir) Console(name string) string        { return filepath.Join(d.Unikernel(name), "console.log") }
func (d DBDir) ShimLog(name string) string        { return filepath.Join(d.Unikernel(name), "shim.log") }
func (d DBDir) ConsoleRotated(name string) string { return d.Console(name) + ".1" }

// Init creates the data directory and its subdirectories, mode 0700.
func (d DBDir) Init() error {
	for _, p := range []string{string(d), d.ImagesDir(), d.BlockDir(), d.UnikernelsDir()} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return fmt.Errorf("create data directory %s: %w", p, err)
		}
		if err := rejectSymlink(p); err != nil {
			return err
		}
	}
	return os.Chmod(string(d), 0o700)
}

// rejectSymlink fails if p is a symbolic link: paths inside dbdir are never
// followed through links, so a link planted there cannot redirect a write.
func rejectSymlink(p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s: %w", p, ErrSymlink)
	}
	return nil
}

// ErrSymlink is returned for a symbolic link where dbdir expects a file or
// directory.
var ErrSymlink = errors.New("symbolic link in data directory")

// WriteJSON writes v as indented JSON to path atomically: a temporary file
// in the same directory, fsync, rename (renameio), mode 0600.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := rejectSymlinkIfExists(path); err != nil {
		return err
	}
	// The temporary file goes next to path: renameio would otherwise
	// probe $TMPDIR first, an extra file created and removed per write.
	if err := renameio.WriteFile(path, append(b, '\n'), 0o600, renameio.WithTempDir(filepath.Dir(path))); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadJSON reads a JSON file without following a symbolic link.
func ReadJSON(path string, v any) error {
	b, err := ReadFileNoFollow(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &os.PathError{Op: "parse", Path: path, Err: err}
	}
	return nil
}

func rejectSymlinkIfExists(p string) error {
	err := rejectSymlink(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
