package solo5

import (
	"io/fs"
	"strconv"
	"strings"
)

// VMName is the name solo5-hvt gives the bhyve virtual machine it makes on
// FreeBSD, from the tender's pid: /dev/vmm/solo5-PID. The tender destroys
// it when it exits, but not when it is SIGKILLed; the shim's DestroyVM does then.
func VMName(pid int) string { return "solo5-" + strconv.Itoa(pid) }

// ParseVMNames returns the pids of the entries (of /dev/vmm) named
// solo5-PID.
func ParseVMNames(ents []fs.DirEntry) []int {
	var pids []int
	for _, e := range ents {
		s, ok := strings.CutPrefix(e.Name(), "solo5-")
		if !ok {
			continue
		}
		if pid, err := strconv.Atoi(s); err == nil && pid > 0 && VMName(pid) == e.Name() {
			pids = append(pids, pid)
		}
	}
	return pids
}
