package netnstest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// counter numbers the namespaces of this process.
var counter atomic.Int64

// New creates a network namespace named "roosttest-<pid>-<n>" with its
// loopback interface up, and deletes it when tb's test ends; interfaces in
// it go with it. It skips tb when the process cannot create one.
func New(tb testing.TB) *NS {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("netnstest: needs root to create network namespaces")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		tb.Skipf("netnstest: needs /dev/net/tun to create taps: %v", err)
	}
	ns := &NS{name: fmt.Sprintf("roosttest-%d-%d", os.Getpid(), counter.Add(1))}
	if err := ns.create(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := ns.remove(); err != nil {
			tb.Error(err)
		}
	})
	if err := ns.Do(loopbackUp); err != nil {
		tb.Fatal(err)
	}
	return ns
}

// create does what `ip netns add` does (iproute2 ip/ipnetns.c): make
// /run/netns a shared mount, so that the namespace's mount propagates to
// other mount namespaces, then bind-mount a new network namespace onto
// /run/netns/NAME.
func (ns *NS) create() error {
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return fmt.Errorf("create netns %s: %w", ns.name, err)
	}
	if err := makeShared(runDir); err != nil {
		return fmt.Errorf("create netns %s: %w", ns.name, err)
	}
	f, err := os.OpenFile(ns.Path(), os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0)
	if err != nil {
		return fmt.Errorf("create netns %s: %w", ns.name, err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		// The thread is never unlocked: it ends with this goroutine
		// instead of going back to the scheduler in the new namespace.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(src, ns.Path(), "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind mount %s: %w", src, err)
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		os.Remove(ns.Path())
		return fmt.Errorf("create netns %s: %w", ns.name, err)
	}
	return nil
}

// makeShared makes dir a shared mount, first making it a mount point if it
// is not one.
func makeShared(dir string) error {
	for made := false; ; made = true {
		err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EINVAL) || made {
			return fmt.Errorf("make %s a shared mount: %w", dir, err)
		}
		if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind mount %s onto itself: %w", dir, err)
		}
	}
}

// remove does what `ip netns delete` does. The namespace itself goes when
// its last process and file descriptor do.
func (ns *NS) remove() error {
	if err := unix.Unmount(ns.Path(), unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete netns %s: %w", ns.name, err)
	}
	if err := os.Remove(ns.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete netns %s: %w", ns.name, err)
	}
	return nil
}

// Do calls f on a goroutine whose thread has entered the namespace, and
// returns what f returns. Netlink sockets, taps and plain sockets that f
// opens belong to the namespace; goroutines that f starts do not run in it.
func (ns *NS) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked, as in create: the thread dies with the
		// goroutine rather than leave the namespace.
		runtime.LockOSThread()
		fd, err := unix.Open(ns.Path(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("enter netns %s: %w", ns.name, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			errc <- fmt.Errorf("enter netns %s: %w", ns.name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// loopbackUp sets lo up in the calling thread's namespace.
func loopbackUp() error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}
