package shim

import "github.com/roostd/roost/platform/proc"

// The shim identifies processes through package proc, as platform does:
// one parser of /proc/PID/stat.
var (
	procStartTime = proc.StartTime
	processAlive  = proc.Alive
)

// bootID is the kernel's boot id, or "" where it is unknown.
func bootID() string {
	id, _ := proc.BootID()
	return id
}
