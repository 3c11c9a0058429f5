package simtender

import (
	"errors"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ifNameSize is IFNAMSIZ on Linux and FreeBSD, the terminator included.
const ifNameSize = 16

// tapMTU is the MTU reported for a descriptor passed as @NN, as Solo5 0.9
// does (it cannot ask the interface).
const tapMTU = 1500

// tapAttach opens the tap ifname as Solo5's tap_attach does and returns it
// non-blocking, with its MTU. "@NN" passes the already open descriptor NN
// through. Errors are unix.Errno values where Solo5 sets errno, so that
// strerror gives Solo5's message.
func tapAttach(ifname string) (*os.File, int, error) {
	if n, ok := strings.CutPrefix(ifname, "@"); ok {
		fd, err := strconv.ParseInt(strings.TrimLeft(n, " \t\n\v\f\r"), 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange) || err == nil && (fd < 0 || fd > math.MaxInt32):
			return nil, 0, unix.ERANGE
		case err != nil:
			return nil, 0, unix.EINVAL
		}
		// F_SETFL with O_NONBLOCK alone, as Solo5 does: other status
		// flags are cleared.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, unix.O_NONBLOCK); err != nil {
			return nil, 0, err
		}
		return os.NewFile(uintptr(fd), ifname), tapMTU, nil
	}
	if len(ifname) >= ifNameSize {
		return nil, 0, unix.ENAMETOOLONG
	}
	return tapOpen(ifname)
}
