//go:build unix

package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/internal/regfile"
)

// openBeneath opens rel (relative, cleaned) beneath the directory root
// without following symbolic links, and returns the descriptor.
func openBeneath(root, rel string, flag int, perm uint32) (int, error) {
	rootfd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(rootfd)
	return openat(rootfd, rel, flag, perm)
}

// openat opens rel beneath dirfd without following symbolic links: with
// openat2 where the kernel has it, else by walking the directories one
// O_NOFOLLOW descriptor at a time.
//
// Every open is O_NONBLOCK: a named pipe planted where roost expects a
// file (spec.json, shim.lock, console.log) would otherwise hang the open
// until someone opened its other end, and a plan with it, deaf to
// SIGTERM while blocked there. O_NONBLOCK changes nothing for a regular
// file or a directory; a pipe opened for reading then reads as empty
// (which readFD reports as not a regular file), one opened for writing
// fails (ENXIO). (A file under a lease, which only Samba or an NFS server
// holds, now fails with EWOULDBLOCK instead of waiting for the lease to
// be broken.) And every open is O_NOCTTY: a shim leads a session of
// its own with no terminal, and a terminal planted as its spec.json would
// otherwise become its controlling terminal when read (Linux gives one to
// a session leader that opens a terminal for reading), whose hangup and
// keys would signal it.
func openat(dirfd int, rel string, flag int, perm uint32) (int, error) {
	flag |= unix.O_NONBLOCK | unix.O_NOCTTY
	fd, err := openat2(dirfd, rel, flag|unix.O_CLOEXEC, perm)
	if !errors.Is(err, errors.ErrUnsupported) {
		return fd, symlinkError(err)
	}
	return walkat(dirfd, rel, flag, perm)
}

// walkat is openat where there is no openat2 (FreeBSD, Linux before
// 5.6): each directory on the way is opened with O_NOFOLLOW beneath the
// last.
func walkat(dirfd int, rel string, flag int, perm uint32) (int, error) {
	parts := strings.Split(rel, string(filepath.Separator))
	cur := dirfd
	defer func() {
		if cur != dirfd {
			unix.Close(cur)
		}
	}()
	for _, p := range parts[:len(parts)-1] {
		if p == "" || p == "." || p == ".." {
			return -1, fmt.Errorf("path element %q: %w", p, ErrOutside)
		}
		next, err := unix.Openat(cur, p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, noFollowError(cur, p, err)
		}
		if cur != dirfd {
			unix.Close(cur)
		}
		cur = next
	}
	last := parts[len(parts)-1]
	if last == "" || last == "." || last == ".." {
		return -1, fmt.Errorf("path element %q: %w", last, ErrOutside)
	}
	fd, err := unix.Openat(cur, last, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	if err != nil {
		return -1, noFollowError(cur, last, err)
	}
	return fd, nil
}

// noFollowError is the error of an O_NOFOLLOW open of name in dirfd:
// ErrSymlink when name is a symbolic link. The open says so in more than
// one way (ELOOP; ENOTDIR on Linux when O_DIRECTORY meets the link;
// EMLINK on FreeBSD), and ENOTDIR means a plain file too, so the entry
// itself is asked.
func noFollowError(dirfd int, name string, err error) error {
	if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EMLINK) || errors.Is(err, unix.ELOOP) {
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return fmt.Errorf("%w (%w)", ErrSymlink, err)
		}
	}
	return symlinkError(err)
}

// symlinkError turns the errors that a refused link gives (ELOOP from
// O_NOFOLLOW and RESOLVE_NO_SYMLINKS, EXDEV from RESOLVE_BENEATH) into
// ErrSymlink; the walk asks the entry (noFollowError), since its errors
// do not tell a link apart.
func symlinkError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.EXDEV):
		return fmt.Errorf("%w (%w)", ErrSymlink, err)
	}
	return err
}

// writeBeneath writes b to rel beneath root atomically.
func writeBeneath(root, rel string, b []byte) error {
	dir, base := filepath.Split(rel)
	var dirfd int
	var err error
	if dir == "" {
		dirfd, err = unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	} else {
		dirfd, err = openBeneath(root, filepath.Clean(dir), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	}
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)
	return writeAt(dirfd, base, b)
}

// writeAt writes b to base in the directory dirfd atomically: a temporary
// file there, fsync, rename.
func writeAt(dirfd int, base string, b []byte) error {
	tmp := TempPrefix + base + "." + strconv.FormatUint(rand.Uint64(), 36)
	fd, err := unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	werr := writeAll(fd, b)
	if werr == nil {
		werr = unix.Fsync(fd)
	}
	if err := unix.Close(fd); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = unix.Renameat(dirfd, tmp, dirfd, base)
	}
	if werr != nil {
		unix.Unlinkat(dirfd, tmp, 0)
	}
	return werr
}

// TempPrefix starts the name of a temporary file that WriteJSON renames
// into place; one left by a killed writer can be told by it.
const TempPrefix = ".tmp-"

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// readFD appends to b what the descriptor fd (of path, for messages)
// holds from its offset to its end, up to limit bytes: read(2) and nothing
// else, for the data directory's small files. More than limit is an error
// wrapping ErrTooLarge.
func readFD(fd int, path string, b []byte, limit int64) ([]byte, error) {
	start := len(b)
	b, err := readFD1(fd, path, b, limit)
	if err != nil || len(b) == start {
		// A named pipe, a device or a directory where a file should be:
		// say so (asked only then; the files roost reads are never empty).
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
			return nil, &os.PathError{Op: "read", Path: path, Err: &regfile.NotRegularError{Mode: fileMode(uint32(st.Mode))}}
		}
	}
	return b, err
}

// openDirFD opens the directory at path (not beneath a data directory:
// its root) O_DIRECTORY, so that nothing else opens, and O_NONBLOCK.
func openDirFD(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// SyncDir makes the creation, renaming or removal of entries in the
// directory at path beneath d durable: an fsync of the directory, reached
// as Open reaches files and opened O_DIRECTORY, so that nothing planted
// in its place (a named pipe) is opened or waited on.
func (d Dir) SyncDir(path string) error {
	rel, err := d.rel(path)
	if err != nil {
		return err
	}
	fd, err := openBeneath(string(d), rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Fsync(fd); err != nil {
		return &os.PathError{Op: "sync", Path: path, Err: err}
	}
	return nil
}

// regularFile closes fd and returns an error wrapping
// regfile.ErrNotRegular unless it is a regular file or flag asked for a
// directory (O_DIRECTORY, which the kernel holds to). An *os.File of a
// named pipe whose other end someone holds would wait in Go's poller
// for data that never comes: the data directory's files handed out as
// *os.File (blocks, images, locks, logs) are regular files or nothing.
func regularFile(fd, flag int) error {
	if flag&unix.O_DIRECTORY != 0 {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return err
	}
	if m := uint32(st.Mode) & unix.S_IFMT; m != unix.S_IFREG {
		unix.Close(fd)
		return &regfile.NotRegularError{Mode: fileMode(m)}
	}
	return nil
}

// fileMode is the fs.FileMode of a stat mode's file type.
func fileMode(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFLNK:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}

func readFD1(fd int, path string, b []byte, limit int64) ([]byte, error) {
	start := len(b)
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(512, cap(b)))
		}
		room := b[len(b):cap(b)]
		if left := limit + 1 - int64(len(b)-start); int64(len(room)) > left {
			room = room[:left]
		}
		n, err := unix.Read(fd, room)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
		if int64(len(b)-start) > limit {
			return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)}
		}
	}
}

func dupCloexec(f *os.File) (int, error) {
	return unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
}

func closeFD(fd int) error { return unix.Close(fd) }

func renameat(dirfd int, old, new string) error { return unix.Renameat(dirfd, old, dirfd, new) }

// ownerOf returns the owner of fi (from Lstat). (syscall for os.FileInfo's
// own type.)
func ownerOf(fi os.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}
