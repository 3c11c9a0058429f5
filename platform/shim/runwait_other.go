//go:build !linux

package shim

import "time"

// runqueueWait is Linux's (schedstat); elsewhere the verify window is
// counted in wall time alone.
func runqueueWait(pid int) (time.Duration, bool) { return 0, false }
