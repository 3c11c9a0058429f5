package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// checkHost runs the checks that need the host: tenders, bridges, CPUs,
// memory, disk.
func (m *maker) checkHost() {
	declared := map[string]bool{}
	for _, b := range m.d.Bridges {
		declared[b.Name] = true
	}
	cpus := map[int]bool{}
	for _, c := range m.o.Host.CPUs {
		cpus[c] = true
	}
	var totalMem int64
	tooBig := false
	for _, u := range m.d.Unikernels {
		addr := KindUnikernel + "." + u.Name
		if t, ok := m.o.Tenders[TenderKey(u.Image.Target, u.Image.ABIVersion)]; !ok || t.Err != "" {
			msg := "no tender was looked up"
			if ok {
				msg = t.Err
			}
			m.problem(u.Pos, addr, "%s", msg)
		}
		for _, n := range u.Nets {
			tap := TapName(u.Name, n.Device)
			if what, ok := m.o.Foreign[tap]; ok {
				fix := "delete or rename it"
				if strings.HasPrefix(what, otherTapPrefix) {
					fix = "give this unikernel or its net device another name"
				}
				m.problem(u.Pos, addr, "net %q: interface %s, the name of its tap, exists and is %s; roost leaves it alone: %s", n.Device, tap, what, fix)
			}
			if t, ok := m.o.Taps[tap]; ok && t.Legacy && !m.legacyTapOurs(tap) {
				m.problem(u.Pos, addr, "net %q: tap %s exists, made by a roost before data directories had IDs, and it is not known to be this data directory's: it may be another data directory's unikernel %s; roost leaves it alone: delete it if nothing uses it, or rename the unikernel", n.Device, tap, t.Unikernel)
			}
			if !declared[n.Bridge] {
				if _, ok := m.o.Bridges[n.Bridge]; !ok {
					m.problem(u.Pos, addr, "net %q: bridge %q is neither declared nor present on the host; declare it with bridge %q {} or create it", n.Device, n.Bridge, n.Bridge)
				}
			}
		}
		m.checkTenderUser(u, addr)
		for _, c := range u.CPUs {
			if !cpus[c] {
				m.problem(u.Pos, addr, "cpu %d does not exist on this host (online: %s)", c, cpuList(m.o.Host.CPUs))
			}
		}
		if m.o.Host.MemoryMiB > 0 && int64(u.MemoryMiB) > m.o.Host.MemoryMiB {
			m.problem(u.Pos, addr, "memory %d MiB exceeds the host's %d MiB", u.MemoryMiB, m.o.Host.MemoryMiB)
			tooBig = true
		}
		totalMem += int64(u.MemoryMiB)
	}
	if m.o.Host.MemoryMiB > 0 && totalMem > m.o.Host.MemoryMiB && !tooBig {
		m.problem(Pos{}, "host", "the unikernels declare %d MiB of memory in all; the host has %d MiB", totalMem, m.o.Host.MemoryMiB)
	}
	var grow int64
	for _, b := range m.d.Blocks {
		if g := b.SizeMiB<<20 - m.o.Blocks[b.Name].SizeBytes; g > 0 {
			grow += g
		}
	}
	if grow > 0 && grow > m.o.Host.DiskFreeBytes {
		m.problem(Pos{}, "host", "the blocks need %s more on the data directory's file system, which has %s free", MiBText(grow, 2), MiBText(m.o.Host.DiskFreeBytes, 2))
	}
}

// checkTenderUser reports what keeps u's tender from running under a uid
// of its own with no capabilities (issue 13): solo5-hvt opens /dev/kvm
// itself, through the one supplementary group it keeps, and both tenders
// attach their taps through /dev/net/tun.
func (m *maker) checkTenderUser(u Unikernel, addr string) {
	h := m.o.Host
	if !h.TenderUsers || u.RunAsRoot {
		return
	}
	const orRoot = "; or set unprivileged = false in the unikernel to run its tender as root with every capability"
	if u.Image.Target == "hvt" {
		if p := kvmProblem(h.KVM); p != "" {
			m.problem(u.Pos, addr, "%s: an unprivileged hvt tender opens it through its group; give it a group of its own with mode 0660, as the udev rule KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\" does (in /etc/udev/rules.d/65-kvm.rules, then udevadm trigger)%s", p, orRoot)
		}
	}
	if len(u.Nets) > 0 {
		if p := tunProblem(h.Tun); p != "" {
			m.problem(u.Pos, addr, "%s: an unprivileged tender attaches its tap through it; open it to everyone (the kernel lets only a tap's owner attach), with chmod 0666 /dev/net/tun or the udev rule KERNEL==\"tun\", MODE=\"0666\"%s", p, orRoot)
		}
	}
	if !m.uidsReported {
		m.uidsReported = true
		for _, p := range h.UIDProblems {
			m.problem(Pos{}, "host", "unikernel_uids: %s; choose a range that no user or group of the host uses", p)
		}
	}
}

// kvmProblem says why d, /dev/kvm, is not open to a tender's group.
func kvmProblem(d *DeviceNode) string {
	switch {
	case d == nil:
		return "/dev/kvm was not looked at"
	case d.Err != "":
		return d.Err
	case d.Mode&0o006 == 0o006:
		return ""
	case d.GID == 0 || d.Mode&0o060 != 0o060:
		return fmt.Sprintf("%s is mode %#o, group %s", d.Path, d.Mode, groupText(d))
	}
	return ""
}

// tunProblem says why d, /dev/net/tun, is not open to every user.
func tunProblem(d *DeviceNode) string {
	switch {
	case d == nil:
		return "/dev/net/tun was not looked at"
	case d.Err != "":
		return d.Err
	case d.Mode&0o006 != 0o006:
		return fmt.Sprintf("%s is mode %#o", d.Path, d.Mode)
	}
	return ""
}

func groupText(d *DeviceNode) string {
	if d.Group != "" {
		return d.Group
	}
	return strconv.Itoa(d.GID)
}

func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// checkNames reports -replace and -target names that name nothing: a typo
// must not pass for "no changes".
func (m *maker) checkNames() {
	unikernels := map[string]bool{}
	for _, u := range m.d.Unikernels {
		unikernels[u.Name] = true
	}
	for _, r := range m.in.Replace {
		if name := strings.TrimPrefix(r, KindUnikernel+"."); !unikernels[name] {
			m.problem(Pos{}, "-replace", "no declared unikernel %q to replace", r)
		}
	}
	known := map[string]bool{}
	for name := range unikernels {
		known[name], known[KindUnikernel+"."+name] = true, true
	}
	for _, b := range m.d.Bridges {
		known[b.Name], known[KindBridge+"."+b.Name] = true, true
	}
	for _, b := range m.d.Blocks {
		known[b.Name], known[KindBlock+"."+b.Name] = true, true
	}
	for _, c := range m.p.Changes {
		known[c.Name], known[c.Address()] = true, true
	}
	for _, t := range m.in.Targets {
		if !known[t] {
			m.problem(Pos{}, "-target", "%q names no resource of the configuration or the host", t)
		}
	}
}

// checkShim reports a missing or mismatched roost-shim when the plan would
// start a tender: nothing else needs it.
func (m *maker) checkShim() {
	if m.o.Shim.Err == "" {
		return
	}
	for _, c := range m.p.Changes {
		if c.Kind == KindUnikernel && (c.Action == Create || c.Action == Start || c.Action == Replace) {
			m.problem(Pos{}, "host", "%s", m.o.Shim.Err)
			return
		}
	}
}

// checkConflicts reports what roost found on the host but did not make,
// destroy or not: a plan that ignored it would call the host converged, or
// leave a shim behind, while something else stands where roost looks.
func (m *maker) checkConflicts() {
	for _, c := range m.o.Conflicts {
		m.problem(Pos{}, "host", "%s %s, which roost did not make; roost leaves it alone: move it away (and look at what it is) before applying", c.Path, c.Problem)
	}
}
