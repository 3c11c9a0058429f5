package datadir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
)

// MaxJSON is the largest JSON file of the data directory that roost reads:
// spec.json and status.json are a few KiB; a larger one was not written by
// roost and is refused rather than read into memory.
const MaxJSON = 4 << 20

// ErrTooLarge is returned for a file larger than what its reader accepts.
var ErrTooLarge = errors.New("file too large")

// Open opens path, which must lie beneath d, resolving every element of
// it beneath d without following a symbolic link (openat2's
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a walk of O_NOFOLLOW directory
// descriptors where openat2 is missing). O_CLOEXEC is added to flag. A
// link anywhere on the way is an error wrapping ErrSymlink. Without
// O_DIRECTORY, what opens must be a regular file: anything else is an
// error wrapping regfile.ErrNotRegular (see regularFile).
func (d Dir) Open(path string, flag int, perm os.FileMode) (*os.File, error) {
	rel, err := d.rel(path)
	if err != nil {
		return nil, err
	}
	fd, err := openBeneath(string(d), rel, flag, uint32(perm.Perm()))
	if err == nil {
		err = regularFile(fd, flag)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// ReadFile reads the file at path beneath d, as Open finds it, up to max
// bytes; a larger file is an error wrapping ErrTooLarge.
func (d Dir) ReadFile(path string, max int64) ([]byte, error) {
	fd, err := d.openFD(path)
	if err != nil {
		return nil, err
	}
	defer closeFD(fd)
	return readFD(fd, path, nil, max)
}

// openFD opens path beneath d for reading, as Open does, and returns the
// bare descriptor.
func (d Dir) openFD(path string) (int, error) {
	rel, err := d.rel(path)
	if err != nil {
		return -1, err
	}
	fd, err := openBeneath(string(d), rel, os.O_RDONLY, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, nil
}

// ReadJSON decodes the JSON file at path beneath d into v. A file that is
// not valid JSON is an *os.PathError with Op "parse".
func (d Dir) ReadJSON(path string, v any) error {
	fd, err := d.openFD(path)
	if err != nil {
		return err
	}
	defer closeFD(fd)
	return decodeFD(fd, path, v, json.Unmarshal)
}

// maxPooled is the largest buffer jsonBuffers keeps.
const maxPooled = 64 << 10

// jsonBuffers holds the buffers that JSON files are read into: decoding
// copies out what it keeps, so one buffer serves file after file.
var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// decodeFD reads the JSON file open as fd (path, for messages), up to
// MaxJSON bytes, and decodes it into v with unmarshal.
func decodeFD(fd int, path string, v any, unmarshal func([]byte, any) error) error {
	bp := jsonBuffers.Get().(*[]byte)
	defer jsonBuffers.Put(bp)
	b, err := readFD(fd, path, (*bp)[:0], MaxJSON)
	if err != nil {
		return err
	}
	if cap(b) <= maxPooled {
		*bp = b[:0] // a larger one, of a file few are, goes with the garbage
	}
	if err := unmarshal(b, v); err != nil {
		return &os.PathError{Op: "parse", Path: path, Err: err}
	}
	return nil
}

// WriteJSON writes v as indented JSON to path beneath d atomically: a
// temporary file in the same directory, fsync, rename, mode 0600. The
// directory is reached as Open reaches files, and the rename replaces a
// symbolic link at path rather than following it.
func (d Dir) WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	rel, err := d.rel(path)
	if err != nil {
		return err
	}
	if err := writeBeneath(string(d), rel, append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteFile writes b to path beneath d atomically, as WriteJSON does.
func (d Dir) WriteFile(path string, b []byte) error {
	rel, err := d.rel(path)
	if err != nil {
		return err
	}
	if err := writeBeneath(string(d), rel, b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
