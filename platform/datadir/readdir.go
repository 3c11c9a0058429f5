package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// ReadDir lists the directory at path beneath d, reached as Open reaches
// files. A missing directory is empty; a symbolic link on the way is an
// error wrapping ErrSymlink.
func (d Dir) ReadDir(path string) ([]fs.DirEntry, error) {
	f, err := d.Open(path, os.O_RDONLY|oDirectory, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// readDirAt is os.ReadDir of the directory path (sorted by name), opened
// O_DIRECTORY: a named pipe swapped in for it is refused, not waited on.
func readDirAt(path string) ([]fs.DirEntry, error) {
	fd, err := openDirFD(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// Hidden reports whether a directory entry is one of roost's temporary
// files (TempPrefix, or renameio's ".NAME<digits>"), which no resource name
// can be: names start with a letter or digit.
func Hidden(name string) bool { return len(name) > 0 && name[0] == '.' }
