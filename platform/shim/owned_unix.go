//go:build unix

package shim

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// checkOwned checks that f is a regular file owned by uid with one link
// and none of the mode bits notMode.
func checkOwned(f *os.File, notMode os.FileMode, uid int) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	mode := os.FileMode(uint32(st.Mode) & 0o777)
	switch {
	case uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG:
		return fmt.Errorf("is not a regular file")
	case int(st.Uid) != uid && uid == os.Geteuid():
		return fmt.Errorf("is owned by uid %d, not roost's %d", st.Uid, uid)
	case int(st.Uid) != uid:
		return fmt.Errorf("is owned by uid %d, not its tender's %d", st.Uid, uid)
	case uint64(st.Nlink) != 1:
		return fmt.Errorf("has %d links: another name shares it", st.Nlink)
	case mode&notMode != 0:
		return fmt.Errorf("has mode %#o, which lets others in", mode)
	}
	return nil
}
