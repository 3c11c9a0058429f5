//go:build unix

package datadir

import "golang.org/x/sys/unix"

// lockDir holds an exclusive flock on the directory dir until unlock:
// processes that claim one data directory at once take turns, so that one
// ID is given and every process reads that one (roost.lock cannot serve:
// a process may already hold it, and some claim before they take it).
func lockDir(dir string) (unlock func(), err error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return func() { unix.Close(fd) }, nil
}
