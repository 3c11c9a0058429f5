package shim

import "github.com/roostd/roost/platform"

// The shim reads /proc through platform: one parser of /proc/PID/stat.
var (
	procStartTime = platform.ProcessStartTime
	processAlive  = platform.ProcessAlive
)

// bootID is the kernel's boot id, or "" where it is unknown.
func bootID() string {
	id, _ := platform.BootID()
	return id
}
