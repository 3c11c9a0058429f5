package platform

import (
	"golang.org/x/sys/unix"

	"github.com/roostd/roost/plan"
)

// tenderUsers: on Linux each tender runs under a uid of its own, with no
// capabilities (issue 13).
const tenderUsers = true

// statDevice is the device node path as stat(2) shows it.
func statDevice(path string) plan.DeviceNode {
	d := plan.DeviceNode{Path: path}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		d.Err = path + ": " + err.Error()
		return d
	}
	d.Mode, d.UID, d.GID = st.Mode&0o777, int(st.Uid), int(st.Gid)
	return d
}
