package platform

import (
	"context"

	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/proc"
	"github.com/roostd/roost/platform/shim"
	"github.com/roostd/roost/platform/solo5"
)

// FreeBSD's hvt tender leaves its virtual machine, /dev/vmm/solo5-PID,
// behind when it is SIGKILLed. Its shim destroys it after each exit; these
// cover a shim that was killed itself (its tender then dies of Pdeathsig
// with nobody left to clean up). Elsewhere shim.DestroyVM and shim.VMs do
// nothing.

// destroyStaleVM destroys the VM of the tender that status.json of name
// records, once that tender no longer runs.
func (h *Host) destroyStaleVM(ctx context.Context, name string) {
	var st datadir.Status
	if err := h.dbdir.ReadJSON(h.dbdir.Status(name), &st); err != nil || st.TenderPID <= 0 {
		return
	}
	if proc.Alive(st.TenderPID, st.TenderStart) {
		return
	}
	if err := shim.DestroyVM(ctx, st.TenderPID); err != nil {
		h.log.Warn("stale vm of a tender", "unikernel", name, "err", err)
	}
}

// warnStaleVMs logs each solo5-PID VM whose pid no process has: memory
// that no tender uses. plan has no resource for VMs, so they show in the
// log, and apply destroys the ones of the unikernels it starts, stops or
// removes.
func (h *Host) warnStaleVMs() {
	pids, err := shim.VMs()
	if err != nil {
		h.log.Warn("list vms", "err", err)
		return
	}
	for _, pid := range pids {
		if _, err := proc.StartTime(pid); err != nil {
			h.log.Warn("stale vm: its tender has gone; destroy it with sysctl hw.vmm.destroy", "vm", solo5.VMName(pid))
		}
	}
}
