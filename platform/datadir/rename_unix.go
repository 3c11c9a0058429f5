//go:build unix

package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrExists is returned by Rename when its target exists.
var ErrExists = errors.New("target exists")

// Rename renames from to to, both beneath d: the same file or directory
// under another name, on the same file system (no copy). The parent
// directories are reached as Open reaches files, without following a
// link; from itself must not be a symbolic link, and an existing to is
// refused with ErrExists, never replaced. The parents are synced so that
// the rename survives a crash.
func (d Dir) Rename(from, to string) error {
	if err := d.rename(from, to); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

func (d Dir) rename(from, to string) error {
	fromRel, err := d.rel(from)
	if err != nil {
		return err
	}
	toRel, err := d.rel(to)
	if err != nil {
		return err
	}
	fromDir, fromBase, err := d.openParent(fromRel)
	if err != nil {
		return err
	}
	defer unix.Close(fromDir)
	toDir, toBase, err := d.openParent(toRel)
	if err != nil {
		return err
	}
	defer unix.Close(toDir)
	var st unix.Stat_t
	if err := unix.Fstatat(fromDir, fromBase, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return ErrSymlink
	}
	if err := renameNoReplace(fromDir, fromBase, toDir, toBase); err != nil {
		if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", to, ErrExists)
		}
		return err
	}
	if err := unix.Fsync(toDir); err != nil {
		return err
	}
	if fromDir != toDir {
		return unix.Fsync(fromDir)
	}
	return nil
}

// openParent opens the directory holding rel beneath d and returns it with
// rel's last element.
func (d Dir) openParent(rel string) (int, string, error) {
	dir, base := filepath.Split(rel)
	if err := element(base); err != nil {
		return -1, "", err
	}
	if dir == "" {
		fd, err := unix.Open(string(d), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		return fd, base, err
	}
	fd, err := openBeneath(string(d), filepath.Clean(dir), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	return fd, base, err
}

// renameNoReplaceFallback renames when the kernel cannot refuse an
// existing target by itself: it looks first. The data directory's lock
// keeps other roosts out between the look and the rename.
func renameNoReplaceFallback(fromDir int, from string, toDir int, to string) error {
	var st unix.Stat_t
	switch err := unix.Fstatat(toDir, to, &st, unix.AT_SYMLINK_NOFOLLOW); {
	case err == nil:
		return fs.ErrExist
	case !errors.Is(err, unix.ENOENT):
		return err
	}
	return unix.Renameat(fromDir, from, toDir, to)
}
