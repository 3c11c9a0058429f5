package devnstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// env marks the test binary that runs inside the namespace.
const env = "ROOST_DEVNSTEST"

// mounted is env's value once the nodes are there.
const mounted = "mounted"

// KVMGroup is the gid of the test's /dev/kvm: no group of a usual host,
// and outside the uids roost gives tenders.
const KVMGroup = 999_999

// Reexec runs the test binary again inside a private mount namespace
// holding the nodes, when it runs as root and is not there yet; then it
// returns the exit code and true, for TestMain to exit with. Inside, it
// mounts the nodes and returns false: TestMain goes on.
func Reexec() (code int, done bool) {
	if os.Geteuid() != 0 {
		return 0, false
	}
	switch dir := os.Getenv(env); dir {
	case "":
	case mounted:
		return 0, false // a process the tests started
	default:
		if err := mountNodes(dir); err != nil {
			fmt.Fprintln(os.Stderr, "devnstest:", err)
			return 1, true
		}
		os.Setenv(env, mounted)
		return 0, false
	}
	dir, err := os.MkdirTemp("", "roost-devns-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "devnstest:", err)
		return 1, true
	}
	defer os.Remove(dir) // its tmpfs went with the namespace
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), env+"="+dir)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Go makes / private (MS_REC|MS_PRIVATE) in a new mount namespace:
	// nothing mounted there reaches the host.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), true
		}
		fmt.Fprintln(os.Stderr, "devnstest:", err)
		return 1, true
	}
	return 0, true
}

// mountNodes bind-mounts nodes of the host's devices, with the modes
// above, over /dev/kvm and /dev/net/tun, from a tmpfs mounted on dir.
func mountNodes(dir string) error {
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID, "mode=0755"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", dir, err)
	}
	for _, n := range []struct {
		path string
		mode uint32
		gid  int
	}{{"/dev/kvm", 0o660, KVMGroup}, {"/dev/net/tun", 0o666, 0}} {
		var st unix.Stat_t
		if err := unix.Stat(n.path, &st); err != nil {
			continue // a host without it: plan says so
		}
		node := filepath.Join(dir, filepath.Base(n.path))
		if err := unix.Mknod(node, unix.S_IFCHR|n.mode, int(st.Rdev)); err != nil {
			return fmt.Errorf("mknod %s: %w", node, err)
		}
		if err := os.Chmod(node, os.FileMode(n.mode)); err != nil {
			return err
		}
		if err := os.Chown(node, 0, n.gid); err != nil {
			return err
		}
		if err := unix.Mount(node, n.path, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s over %s: %w", node, n.path, err)
		}
	}
	return nil
}
