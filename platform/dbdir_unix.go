//go:build unix

package platform

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ReadFileNoFollow reads path, refusing a symbolic link in its last element.
func ReadFileNoFollow(path string) ([]byte, error) {
	f, err := OpenNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// OpenNoFollow opens path with O_NOFOLLOW|O_CLOEXEC added to flag.
func OpenNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	fd, err := unix.Open(path, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
