//go:build !linux && !freebsd

package simtender

import (
	"errors"

	"golang.org/x/sys/unix"
)

// dieBySignal is implemented on Linux and FreeBSD only.
func dieBySignal(sig unix.Signal) error {
	return errors.ErrUnsupported
}
