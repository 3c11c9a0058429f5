package datadir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Subdir is a directory of the data directory held open, so that a process
// that lives long in it (a unikernel's shim) keeps working in that very
// directory: renaming it, or putting a symbolic link in its place, cannot
// redirect a write. Names given to its methods are single path elements,
// opened beneath it without following links.
type Subdir struct {
	path string // for messages
	fd   int
}

// OpenUnikernel opens and holds the directory of unikernel name, reached
// as Open reaches files (beneath d, no links).
func (d Dir) OpenUnikernel(name string) (*Subdir, error) { return d.OpenDir(d.Unikernel(name)) }

// OpenDir opens and holds the directory at path beneath d, reached as
// Open reaches files. A pass over many files of one directory (a plan's
// reading of every unikernel's) holds it rather than resolving the data
// directory again for each.
func (d Dir) OpenDir(path string) (*Subdir, error) {
	rel, err := d.rel(path)
	if err != nil {
		return nil, err
	}
	fd, err := openBeneath(string(d), rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return &Subdir{path: path, fd: fd}, nil
}

// Sub opens and holds the directory name of s, a single path element,
// without following a link.
func (s *Subdir) Sub(name string) (*Subdir, error) {
	fd, err := s.openFD(name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return &Subdir{path: s.Path(name), fd: fd}, nil
}

// Name is the last element of s's path.
func (s *Subdir) Name() string { return filepath.Base(s.path) }

// Path is the path of name in s, for messages.
func (s *Subdir) Path(name string) string { return filepath.Join(s.path, name) }

// Close lets go of the directory.
func (s *Subdir) Close() error { return closeFD(s.fd) }

// Open opens name in s without following a link, O_CLOEXEC added.
// Without O_DIRECTORY, what opens must be a regular file, as for Dir.Open.
func (s *Subdir) Open(name string, flag int, perm os.FileMode) (*os.File, error) {
	fd, err := s.openFD(name, flag, perm)
	if err != nil {
		return nil, err
	}
	if err := regularFile(fd, flag); err != nil {
		return nil, &os.PathError{Op: "open", Path: s.Path(name), Err: err}
	}
	return os.NewFile(uintptr(fd), s.Path(name)), nil
}

// OpenFD is Open for a caller that needs only the descriptor, which it
// closes: no *os.File, so none of the calls that making one costs.
func (s *Subdir) OpenFD(name string, flag int) (int, error) { return s.openFD(name, flag, 0) }

func (s *Subdir) openFD(name string, flag int, perm os.FileMode) (int, error) {
	if err := element(name); err != nil {
		return -1, &os.PathError{Op: "open", Path: s.Path(name), Err: err}
	}
	fd, err := openat(s.fd, name, flag, uint32(perm.Perm()))
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: s.Path(name), Err: err}
	}
	return fd, nil
}

// ReadFile reads the file name of s, up to max bytes; a larger file is
// an error wrapping ErrTooLarge.
func (s *Subdir) ReadFile(name string, max int64) ([]byte, error) {
	fd, err := s.openFD(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer closeFD(fd)
	return readFD(fd, s.Path(name), nil, max)
}

// ReadJSON decodes the JSON file name of s into v, up to MaxJSON bytes.
func (s *Subdir) ReadJSON(name string, v any) error { return s.ReadJSONWith(name, v, json.Unmarshal) }

// ReadJSONWith is ReadJSON decoding with unmarshal, which keeps
// json.Unmarshal's contract: a plan, which decodes two files of every
// unikernel, passes a faster implementation of it than the shim links.
func (s *Subdir) ReadJSONWith(name string, v any, unmarshal func([]byte, any) error) error {
	fd, err := s.openFD(name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer closeFD(fd)
	return decodeFD(fd, s.Path(name), v, unmarshal)
}

// WriteJSON writes v as indented JSON to name in s atomically, as
// Dir.WriteJSON does.
func (s *Subdir) WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", s.Path(name), err)
	}
	if err := element(name); err != nil {
		return fmt.Errorf("write %s: %w", s.Path(name), err)
	}
	if err := writeAt(s.fd, name, append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", s.Path(name), err)
	}
	return nil
}

// Rename renames old to new within s, replacing new.
func (s *Subdir) Rename(old, new string) error {
	for _, n := range []string{old, new} {
		if err := element(n); err != nil {
			return &os.LinkError{Op: "rename", Old: s.Path(old), New: s.Path(new), Err: err}
		}
	}
	if err := renameat(s.fd, old, new); err != nil {
		return &os.LinkError{Op: "rename", Old: s.Path(old), New: s.Path(new), Err: err}
	}
	return nil
}

// element refuses a name that is not a single path element.
func element(name string) error {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return fmt.Errorf("%q is not a file name: %w", name, ErrOutside)
	}
	return nil
}
