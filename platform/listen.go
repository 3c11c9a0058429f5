//go:build unix

package platform

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listenFDsStart is the first file descriptor that systemd passes, after
// stdin, stdout and stderr (SD_LISTEN_FDS_START in sd-daemon.h).
const listenFDsStart = 3

// SystemdListeners returns the listening sockets that systemd handed over
// by socket activation, as sd_listen_fds(3) defines it: when LISTEN_PID is
// this process's pid and LISTEN_FDS is N, file descriptors 3 to 3+N-1 are
// the sockets, in the order of the socket unit's Listen lines. It returns
// (nil, nil) when the variables are absent or meant for another process.
//
// It unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES in every case, so
// that the processes roost starts (shims, tenders) neither inherit nor
// misread them, and it marks each descriptor close-on-exec before wrapping
// it. net.FileListener works on a duplicate, so the original descriptor is
// closed again; the returned listeners own their sockets. Only stream
// sockets can be listeners: a datagram socket in the unit is an error.
func SystemdListeners() ([]net.Listener, error) {
	pidStr, hasPID := os.LookupEnv("LISTEN_PID")
	fdsStr, hasFDs := os.LookupEnv("LISTEN_FDS")
	names := strings.Split(os.Getenv("LISTEN_FDNAMES"), ":")
	defer func() {
		os.Unsetenv("LISTEN_PID")
		os.Unsetenv("LISTEN_FDS")
		os.Unsetenv("LISTEN_FDNAMES")
	}()
	if !hasPID || !hasFDs {
		return nil, nil
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil {
		return nil, fmt.Errorf("parse LISTEN_PID %q: %w", pidStr, err)
	}
	if pid != os.Getpid() {
		return nil, nil
	}
	n, err := strconv.Atoi(fdsStr)
	if err != nil {
		return nil, fmt.Errorf("parse LISTEN_FDS %q: %w", fdsStr, err)
	}
	if n < 0 {
		return nil, fmt.Errorf("parse LISTEN_FDS %q: %w", fdsStr, strconv.ErrRange)
	}

	// Mark every descriptor first, so none leaks into a child started
	// concurrently even if a later one fails to wrap.
	for fd := listenFDsStart; fd < listenFDsStart+n; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
			return nil, fmt.Errorf("set close-on-exec on listen fd %d: %w", fd, err)
		}
	}
	if len(names) != n {
		names = nil
	}
	var lns []net.Listener
	var errs []error
	for i := range n {
		fd := listenFDsStart + i
		// The name shows in net's errors: the unit's FileDescriptorName,
		// or by default the socket unit's name.
		name := "systemd socket"
		if names != nil && names[i] != "" {
			name = names[i]
		}
		f := os.NewFile(uintptr(fd), name)
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("listen fd %d: %w", fd, err))
			continue
		}
		lns = append(lns, ln)
	}
	if len(errs) > 0 {
		for _, ln := range lns {
			ln.Close()
		}
		return nil, errors.Join(errs...)
	}
	return lns, nil
}
