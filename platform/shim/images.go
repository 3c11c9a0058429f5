package shim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

// imageCache is what a shim knows of its stored image between starts, so
// that a restart does not read and hash the image again (a unikernel of
// 20 MiB costs tens of milliseconds a start): the identity of the stored
// file that the last start verified (device, inode, size, change time;
// any write to the file moves its change time, which no user can set),
// and, for a tender of its own user that cannot share the stored file,
// the sealed in-memory copy made from it.
// Each start opens and checks the stored file as before; only when it is
// the file verified last is it not hashed again. An altered stored image
// is hashed, and refused, as it always was.
type imageCache struct {
	digest   string   // the image's SHA-256 the fields below are of
	verified fileID   // the stored file last verified; zero: none
	sealed   *os.File // the copy made of it, or nil
}

// fileID identifies a file's contents as far as fstat can, and whether
// its tender may share it.
type fileID struct {
	dev, ino uint64
	size     int64
	ctime    unix.Timespec
	shared   bool // readable by all, in a directory only its owner may enter
}

// open returns the image of spec for the tender to inherit, verified.
func (c *imageCache) open(dbdir datadir.Dir, spec *datadir.Spec) (*os.File, error) {
	if c.digest != spec.ImageSHA256 {
		c.forget()
		c.digest = spec.ImageSHA256
	}

	f, err := openOwned(dbdir, spec.ImageFile, os.O_RDONLY, "stored image", datadir.ImageNotMode, os.Geteuid())
	if err != nil {
		return nil, err
	}
	id, err := identify(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	// A tender of its own user opens its descriptor again through
	// /proc/self/fd, which checks the file's mode: it gets the stored
	// file when all may read it and only roost can reach it by path,
	// else a sealed copy, verified as it is made (a copy each: the
	// image's size in memory per unikernel, issue 9).
	needCopy := spec.UID != 0 && fdPath(3) != "" && !id.shared
	known := id == c.verified && id != fileID{}
	switch {
	case known && !needCopy:
		return f, nil
	case known && c.sealed != nil:
		f.Close()
		return reopen(c.sealed)
	case needCopy:
		m, err := sealedCopy(f, spec.ImageSHA256)
		f.Close()
		if err != nil {
			c.forget()
			return nil, err
		}
		c.forget()
		c.verified, c.sealed = id, m
		return reopen(m)
	}
	c.forget()
	if err := checkDigest(f, spec.ImageSHA256); err != nil {
		f.Close()
		return nil, err
	}
	c.verified = id
	return f, nil
}

// forget drops what c knows of the image's file.
func (c *imageCache) forget() {
	if c.sealed != nil {
		c.sealed.Close()
	}
	*c = imageCache{digest: c.digest}
}

func identify(f *os.File) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fileID{}, fmt.Errorf("stored image %s: %w", f.Name(), err)
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, ctime: st.Ctim,
		shared: st.Mode&0o004 != 0 && privateDir(filepath.Dir(f.Name()), st.Uid)}, nil
}

// privateDir reports whether dir is a directory that uid owns and no one
// else may enter or list (the image store, 0700): a file in it that all
// may read is reached only through a descriptor roost hands over.
func privateDir(dir string, uid uint32) bool {
	var st unix.Stat_t
	return unix.Lstat(dir, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR && st.Uid == uid && st.Mode&0o077 == 0
}

// reopen opens f anew, read-only: a description of its own, at offset 0.
func reopen(f *os.File) (*os.File, error) {
	fd, err := unix.Open(fdPath(int(f.Fd())), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("stored image %s: %w", f.Name(), err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// digestWriter hashes what is written through it to w.
func digestWriter(w io.Writer) (io.Writer, func(want string, name string) error) {
	h := sha256.New()
	return io.MultiWriter(w, h), func(want, name string) error {
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
			return fmt.Errorf("stored image %s was altered: its sha256 is %s, not %s", name, got, want)
		}
		return nil
	}
}

// checkDigest checks that f's contents have the SHA-256 want, and
// rewinds it.
func checkDigest(f *os.File, want string) error {
	w, check := digestWriter(io.Discard)
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("stored image %s: %w", f.Name(), err)
	}
	if err := check(want, f.Name()); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("stored image %s: %w", f.Name(), err)
	}
	return nil
}
