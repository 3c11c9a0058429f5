//go:build unix && !linux

package datadir

// renameNoReplace renames after checking that the target is absent:
// FreeBSD's renameat has no RENAME_NOREPLACE.
func renameNoReplace(fromDir int, from string, toDir int, to string) error {
	return renameNoReplaceFallback(fromDir, from, toDir, to)
}
