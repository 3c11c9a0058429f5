//go:build !linux

package shim

// fdPath is "" where the tenders cannot open an inherited descriptor by
// path (FreeBSD's /dev/fd holds 0-2 only without fdescfs): the tender gets
// the paths, after the shim has checked the files.
func fdPath(n int) string { return "" }
