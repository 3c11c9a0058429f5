package solo5

// The vocabulary of Solo5's ABI: targets, manifest device types and ELF
// machines, with the names solo5-elftool gives them.

import (
	"fmt"
)

// Target is the Solo5 target an image was built for (enum abi_target in
// Solo5's include/elf_abi.h).
type Target uint32

// Targets, numbered as Solo5 numbers them.
const (
	HVT    Target = 1
	SPT    Target = 2
	Virtio Target = 3
	Muen   Target = 4
	Genode Target = 5
	Xen    Target = 6
)

var targetNames = map[Target]string{
	HVT: "hvt", SPT: "spt", Virtio: "virtio", Muen: "muen", Genode: "genode", Xen: "xen",
}

// String returns the name solo5-elftool prints for t ("hvt", "spt", ...), or
// "unknown" as solo5-elftool does.
func (t Target) String() string {
	if s, ok := targetNames[t]; ok {
		return s
	}
	return "unknown"
}

// Runnable reports whether roost can run images of target t: hvt and spt
// have tenders on Linux and FreeBSD; the others boot under a hypervisor.
func (t Target) Runnable() bool { return t == HVT || t == SPT }

// ParseTarget returns the Target named s ("hvt", "spt", ...).
func ParseTarget(s string) (Target, bool) {
	for t, name := range targetNames {
		if name == s {
			return t, true
		}
	}
	return 0, false
}

// DeviceType is the type of a manifest entry (mft_type_t).
type DeviceType uint32

// Manifest entry types.
const (
	BlockBasic    DeviceType = 1
	NetBasic      DeviceType = 2
	ReservedFirst DeviceType = 1 << 30
)

// String returns the name solo5-elftool prints for d.
func (d DeviceType) String() string {
	switch d {
	case BlockBasic:
		return "BLOCK_BASIC"
	case NetBasic:
		return "NET_BASIC"
	case ReservedFirst:
		return "RESERVED_FIRST"
	}
	return "<undefined type>"
}

// Device is one entry of an image's manifest.
type Device struct {
	Name string
	Type DeviceType
}

// Machine is the ELF machine an image was built for.
type Machine uint16

// Machines Solo5 supports (ELF e_machine values).
const (
	X86_64  Machine = 62
	AArch64 Machine = 183
	PPC64   Machine = 21
)

// String returns Go's GOARCH spelling of m.
func (m Machine) String() string {
	switch m {
	case X86_64:
		return "amd64"
	case AArch64:
		return "arm64"
	case PPC64:
		return "ppc64le"
	}
	return fmt.Sprintf("machine(%d)", uint16(m))
}
