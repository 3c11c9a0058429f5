//go:build !linux

package shim

import (
	"errors"
	"os"

	"github.com/roostd/roost/platform/datadir"
)

// Tenders have users of their own on Linux only (issue 13): platform
// leaves spec.UID 0 elsewhere, so these are never reached.

var errNoTenderUsers = errors.New("tenders run as root on this system")

func dropTenderPrivileges() error                          { return errNoTenderUsers }
func ownTaps(spec *datadir.Spec) error                     { return errNoTenderUsers }
func cloexecAll() error                                    { return errNoTenderUsers }
func chdirThread(dir string) error                         { return errNoTenderUsers }
func sealedCopy(f *os.File, want string) (*os.File, error) { return nil, errNoTenderUsers }
