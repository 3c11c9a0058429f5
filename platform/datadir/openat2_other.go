//go:build unix && !linux

package datadir

import "errors"

// openat2 is Linux's; elsewhere the caller walks the path.
func openat2(dirfd int, rel string, flag int, perm uint32) (int, error) {
	return -1, errors.ErrUnsupported
}
