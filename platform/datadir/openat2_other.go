//go:build unix && !linux

package datadir

import "errors"

// openat2 is Linux's; elsewhere the caller walks the path one O_NOFOLLOW
// descriptor at a time, which is the whole implementation there, not a
// lesser one. FreeBSD's O_RESOLVE_BENEATH would keep a lookup beneath
// dirfd but still follow symbolic links inside it, which roost refuses
// anyway, so the walk stands on FreeBSD too. The error only tells openat
// to walk; it never reaches openat's callers.
func openat2(dirfd int, rel string, flag int, perm uint32) (int, error) {
	return -1, errors.ErrUnsupported
}
