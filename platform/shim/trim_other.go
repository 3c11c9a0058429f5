//go:build !linux

package shim

import "time"

const trimDelay = time.Second

// trimCode is Linux's; elsewhere an idle shim keeps what it mapped.
func trimCode() {}
