package shim

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
)

// A tender under a uid of its own (issue 13) starts with no capabilities
// in any set and NO_NEW_PRIVS. The kernel clears the effective, permitted
// and ambient sets when the child's uid changes from 0 without
// SECBIT_KEEP_CAPS; the bounding and inheritable sets and NO_NEW_PRIVS are
// per thread and inherited across fork and exec, so dropTenderPrivileges
// changes them on the locked thread that forks the tender, which ends
// with the tender (startTender) and forks nothing else.

// dropTenderPrivileges empties the calling thread's bounding, inheritable
// and ambient capability sets and sets NO_NEW_PRIVS, for the tender it is
// about to fork. The thread keeps its effective and permitted sets: the
// child still needs CAP_SETUID and CAP_SETGID to change its user.
func dropTenderPrivileges() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	for c := 0; ; c++ {
		err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
		if err == unix.EINVAL {
			break // past the kernel's last capability
		}
		if err != nil {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("get capabilities: %w", err)
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("clear inheritable capabilities: %w", err)
	}
	return nil
}

// cloexecAll marks every descriptor of the shim above stderr
// close-on-exec, so that the tender gets only what exec.Cmd hands it
// (stdio and ExtraFiles, which it dups into place): the shim may have
// inherited descriptors without the flag from whoever started roost.
func cloexecAll() error {
	err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	// Before Linux 5.11.
	ents, rerr := os.ReadDir("/proc/self/fd")
	if rerr != nil {
		return fmt.Errorf("close_range: %w; list descriptors: %w", err, rerr)
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
		}
	}
	return nil
}

// chdirThread gives the calling thread a working directory of its own,
// dir, which the tender it forks inherits though its user could not look
// it up.
func chdirThread(dir string) error {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare the working directory: %w", err)
	}
	if err := unix.Chdir(dir); err != nil {
		return fmt.Errorf("chdir %s: %w", dir, err)
	}
	return nil
}

// ownTaps makes uid the owner of spec's taps (TUNSETOWNER, TUNSETGROUP),
// so that the tender attaches them through /dev/net/tun and no other
// user can. platform creates them persistent with no owner, which only
// CAP_NET_ADMIN attaches; this runs before every start, so a tap made
// before issue 13, or one whose unikernel got another uid, follows its
// spec. The tap must be free: the last tender has ended.
func ownTaps(spec *datadir.Spec) error {
	for _, n := range spec.Nets {
		if err := ownTap(n.Tap, spec.UID, spec.GID); err != nil {
			return fmt.Errorf("give tap %s to uid %d: %w", n.Tap, spec.UID, err)
		}
	}
	return nil
}

func ownTap(name string, uid, gid int) error {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	// Without IFF_TUN_EXCL: the tap exists (persistent); a name that
	// does not would be made, and goes with fd.
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return fmt.Errorf("TUNSETIFF: %w", err)
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETOWNER, uid); err != nil {
		return fmt.Errorf("TUNSETOWNER: %w", err)
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETGROUP, gid); err != nil {
		return fmt.Errorf("TUNSETGROUP: %w", err)
	}
	return nil
}

// sealedCopy copies the stored image f into a sealed memfd, hashing it on
// the way: a copy whose SHA-256 is not want is refused, as an altered
// stored image. The tender can open the copy again through
// /proc/self/fd/N under its own uid (a reopen checks the inode's mode,
// and the stored image is root's, 0400) and cannot write it.
func sealedCopy(f *os.File, want string) (*os.File, error) {
	fd, err := unix.MemfdCreate("roost-image", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	m := os.NewFile(uintptr(fd), f.Name())
	w, check := digestWriter(m)
	if _, err := io.Copy(w, f); err != nil {
		m.Close()
		return nil, fmt.Errorf("copy %s: %w", f.Name(), err)
	}
	if err := check(want, f.Name()); err != nil {
		m.Close()
		return nil, err
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(m.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		m.Close()
		return nil, fmt.Errorf("seal copy of %s: %w", f.Name(), err)
	}
	return m, nil
}
