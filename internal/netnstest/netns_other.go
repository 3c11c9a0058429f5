//go:build !linux

package netnstest

import (
	"errors"
	"testing"
)

// New skips tb: network namespaces are a Linux facility.
func New(tb testing.TB) *NS {
	tb.Helper()
	tb.Skip("netnstest: network namespaces need Linux")
	return nil
}

// Do returns errors.ErrUnsupported off Linux.
func (ns *NS) Do(f func() error) error {
	return errors.ErrUnsupported
}
