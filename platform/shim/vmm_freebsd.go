package shim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/roostd/roost/platform/solo5"
)

// DestroyVM destroys the virtual machine that the hvt tender with pid
// left behind, as solo5-hvt does itself when it exits: sysctl
// hw.vmm.destroy=solo5-PID, through /sbin/sysctl with an argument vector.
// No /dev/vmm/solo5-PID means nothing to destroy. The caller makes sure
// that the tender has exited: the VM of a live one is in use.
func DestroyVM(ctx context.Context, pid int) error {
	name := solo5.VMName(pid)
	if _, err := os.Stat("/dev/vmm/" + name); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("destroy vm %s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/sbin/sysctl", "hw.vmm.destroy="+name)
	cmd.Env = []string{"PATH=/sbin:/bin:/usr/sbin:/usr/bin", "LC_ALL=C"}
	cmd.WaitDelay = time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("destroy vm %s: sysctl hw.vmm.destroy: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// VMs returns the pids in the names of the solo5-PID virtual machines
// under /dev/vmm, live or stale.
func VMs() ([]int, error) {
	ents, err := os.ReadDir("/dev/vmm")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // vmm.ko not loaded: no VMs
	}
	if err != nil {
		return nil, fmt.Errorf("list vms: %w", err)
	}
	return solo5.ParseVMNames(ents), nil
}
