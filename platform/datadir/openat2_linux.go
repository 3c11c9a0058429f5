package datadir

import (
	"errors"

	"golang.org/x/sys/unix"
)

// openat2 opens rel beneath dirfd with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS.
// It returns errors.ErrUnsupported where the kernel has no openat2 (before
// 5.6), so that the caller walks instead.
func openat2(dirfd int, rel string, flag int, perm uint32) (int, error) {
	how := unix.OpenHow{
		Flags:   uint64(flag),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	if flag&(unix.O_CREAT|unix.O_TMPFILE) != 0 {
		how.Mode = uint64(perm)
	}
	for {
		fd, err := unix.Openat2(dirfd, rel, &how)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOSYS):
			return -1, errors.ErrUnsupported
		}
		return fd, err
	}
}
