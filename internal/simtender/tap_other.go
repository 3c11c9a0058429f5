//go:build !linux

package simtender

import (
	"errors"
	"os"
)

// tapOpen is not implemented off Linux: Solo5 opens /dev/IFACE there, which
// no roost test needs yet.
func tapOpen(ifname string) (*os.File, int, error) {
	return nil, 0, errors.ErrUnsupported
}
