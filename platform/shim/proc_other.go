//go:build !linux && !freebsd

package shim

import (
	"errors"
	"fmt"
)

// subreaperSupported is false: this OS has no child subreaper here.
const subreaperSupported = false

// setSubreaper does nothing: orphans go to init.
func setSubreaper() error { return nil }

// setAffinity is implemented on Linux only.
func setAffinity(cpus []int) error {
	return fmt.Errorf("pin to cpus %v: %w", cpus, errors.ErrUnsupported)
}

// waitExited is implemented on Linux only: here the tender's own Wait
// both waits and reaps.
func waitExited(pid int) error { return errors.ErrUnsupported }

// reapOrphans does nothing: without a subreaper the shim adopts no
// orphans.
func reapOrphans(keep int) []int { return nil }

// onMainThread is false: no thread matters here, since setAffinity is
// unsupported and Pdeathsig (FreeBSD) follows the parent process.
func onMainThread() bool { return false }
