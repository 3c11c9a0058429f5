package platform

import "time"

// ProcStats are a process's resource use, for `roost status` and metrics.
type ProcStats struct {
	// RSSBytes is the resident set size.
	RSSBytes int64 `json:"rss_bytes"`
	// CPUTime is the user and system CPU time used so far.
	CPUTime time.Duration `json:"cpu_time"`
}

// ProcessStats returns the resource use of process pid. A process that
// does not exist is an error wrapping fs.ErrNotExist.
func ProcessStats(pid int) (ProcStats, error) { return processStats(pid) }

// TapStats are a tap's counters as the host sees them: Rx is what the
// unikernel sent (the host received it from the tap), Tx what it was sent.
type TapStats struct {
	RxBytes   uint64 `json:"rx_bytes"`
	TxBytes   uint64 `json:"tx_bytes"`
	RxPackets uint64 `json:"rx_packets"`
	TxPackets uint64 `json:"tx_packets"`
}

// TapStats returns the counters of the tap name.
func (h *Host) TapStats(name string) (TapStats, error) { return h.os.tapStats(name) }
