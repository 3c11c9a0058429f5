package platform

import (
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/plan"
)

// entryProblem says what makes a data directory entry not what roost made,
// or "" when it is: of the kind roost makes there (a directory when dir,
// else a regular file), owned by roost's uid, a file with one link, and
// none of the mode bits notMode. fi is the entry's Lstat.
func entryProblem(fi fs.FileInfo, dir bool, notMode fs.FileMode) string {
	return entryProblemOwned(fi, dir, notMode, func(uint32) bool { return false })
}

// entryProblemOwned is entryProblem for an entry that the uids owned
// also may own, besides roost's.
func entryProblemOwned(fi fs.FileInfo, dir bool, notMode fs.FileMode, owned func(uid uint32) bool) string {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "is a symbolic link"
	case dir && !fi.IsDir():
		return fmt.Sprintf("is %s, not a directory", regfile.Kind(fi.Mode()))
	case !dir && !fi.Mode().IsRegular():
		return fmt.Sprintf("is %s, not a regular file", regfile.Kind(fi.Mode()))
	}
	uid, nlink, ok := ownerLinks(fi)
	switch {
	case ok && int(uid) != roostUID() && !owned(uid):
		return fmt.Sprintf("is owned by uid %d, not roost's %d", uid, roostUID())
	case ok && !dir && nlink != 1:
		return fmt.Sprintf("has %d hard links: another name shares its data", nlink)
	case fi.Mode().Perm()&notMode != 0:
		return fmt.Sprintf("has mode %#o, more open than roost makes it", fi.Mode().Perm())
	}
	return ""
}

// roostUID is the effective uid of this process, asked once: observation
// checks the owner of every entry of the data directory.
var roostUID = sync.OnceValue(os.Geteuid)

// conflict records that the entry rel (relative to the data directory)
// is not roost's.
func conflict(o *plan.Observed, rel, problem string) {
	o.Conflicts = append(o.Conflicts, plan.Conflict{Path: rel, Problem: problem})
}

// blockProblem is entryProblem for a block file, which roost gives to the
// tender's user of the unikernel it is attached to (issue 13): a block
// owned by a uid of the Host's range is roost's too.
func (h *Host) blockProblem(fi fs.FileInfo) string {
	return entryProblemOwned(fi, false, 0o077, func(uid uint32) bool { return tenderUsers && h.inRange(int(uid)) })
}
