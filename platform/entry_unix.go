//go:build unix

package platform

import (
	"io/fs"
	"syscall"
)

// ownerLinks returns the owner and link count of fi (from Lstat).
// (syscall for os.FileInfo's own type.)
func ownerLinks(fi fs.FileInfo) (uid uint32, nlink uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return st.Uid, uint64(st.Nlink), true
}
