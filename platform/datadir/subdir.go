package datadir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
func (d Dir) OpenUnikernel(name string) (*Subdir, error) {
	path := d.Unikernel(name)
	f, err := d.Open(path, os.O_RDONLY|oDirectory, 0)
	if err != nil {
		return nil, err
	}
	fd, err := dupCloexec(f)
	f.Close()
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return &Subdir{path: path, fd: fd}, nil
}

// Path is the path of name in s, for messages.
func (s *Subdir) Path(name string) string { return filepath.Join(s.path, name) }

// Close lets go of the directory.
func (s *Subdir) Close() error { return closeFD(s.fd) }

// Open opens name in s without following a link, O_CLOEXEC added.
func (s *Subdir) Open(name string, flag int, perm os.FileMode) (*os.File, error) {
	if err := element(name); err != nil {
		return nil, &os.PathError{Op: "open", Path: s.Path(name), Err: err}
	}
	fd, err := openat(s.fd, name, flag, uint32(perm.Perm()))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: s.Path(name), Err: err}
	}
	return os.NewFile(uintptr(fd), s.Path(name)), nil
}

// ReadJSON decodes the JSON file name of s into v, up to MaxJSON bytes.
func (s *Subdir) ReadJSON(name string, v any) error {
	f, err := s.Open(name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := readMax(f, MaxJSON)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &os.PathError{Op: "parse", Path: s.Path(name), Err: err}
	}
	return nil
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
