package datadir

import (
	"errors"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames with RENAME_NOREPLACE: the kernel refuses an
// existing target (EEXIST) in the same step. File systems without it
// (EINVAL) get the look-then-rename fallback.
func renameNoReplace(fromDir int, from string, toDir int, to string) error {
	err := unix.Renameat2(fromDir, from, toDir, to, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return renameNoReplaceFallback(fromDir, from, toDir, to)
	}
	return err
}
