//go:build !unix

package datadir

// lockDir is a no-op where flock is not: claims take turns within a
// process only.
func lockDir(dir string) (unlock func(), err error) { return func() {}, nil }
