package plan

import "net/netip"

// Observed is the host as it is, read from the host alone (dbdir, netlink,
// /proc), never from memory of an earlier run.
type Observed struct {
	BootID     string                       `json:"boot_id"`
	Host       HostInfo                     `json:"host"`
	Bridges    map[string]ObservedBridge    `json:"bridges"`
	Taps       map[string]ObservedTap       `json:"taps"`
	Blocks     map[string]ObservedBlock     `json:"blocks"`
	Unikernels map[string]ObservedUnikernel `json:"unikernels"`
	// Images are the digests in the image store.
	Images map[string]bool `json:"images"`
	// Tenders are the tenders found for the (target, ABI version) pairs
	// the desired unikernels need, keyed by TenderKey.
	Tenders map[string]TenderLookup `json:"tenders"`
	// Foreign are network interfaces, by name, that bear a name roost gives
	// its taps but are not roost's (what each is, for messages).
	Foreign map[string]string `json:"foreign,omitempty"`
	// Conflicts are entries of the data directory that roost did not make
	// (a symbolic link, a file of the wrong kind, owner or mode, a name
	// roost never gives): they are never followed, adopted, resized or
	// deleted, and a plan with any is not applied.
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// ImagesAltered are stored images whose content no longer has the
	// digest they are stored under (Images lacks them).
	ImagesAltered []string `json:"images_altered,omitempty"`
	// LegacyLinks says that this data directory existed before data
	// directories had IDs, so that links whose alias names none may be
	// its: those its applied specs name (ObservedTap.Legacy,
	// ObservedBridge.Legacy). A data directory made since owns none.
	LegacyLinks bool `json:"legacy_links,omitempty"`
	// Shim is the supervisor binary (roost-shim) found to start
	// unikernels with; its Err says why none is usable. The zero value
	// means it was not looked for.
	Shim TenderLookup `json:"shim"`
}

// HostInfo are the host's resources, for the checks that need the host.
type HostInfo struct {
	CPUs      []int `json:"cpus"`       // online CPUs
	MemoryMiB int64 `json:"memory_mib"` // MemTotal
	// DiskFreeBytes is the free space of dbdir's file system (of its
	// nearest existing parent while it does not exist), in bytes: plan and
	// apply measure at different moments, and a rounded figure made the
	// same disk look 2 MiB free to one and 1 MiB to the other.
	DiskFreeBytes int64 `json:"disk_free_bytes"`
	// TenderUsers is true where the platform runs each tender under a
	// uid of its own with no capabilities (Linux; issue 13). Then KVM and
	// Tun are the device nodes such a tender opens itself, and
	// UIDProblems the passwd and group entries inside a configured
	// unikernel_uids range.
	TenderUsers bool        `json:"tender_users,omitempty"`
	KVM         *DeviceNode `json:"kvm,omitempty"`
	Tun         *DeviceNode `json:"tun,omitempty"`
	UIDProblems []string    `json:"uid_problems,omitempty"`
}

// DeviceNode is a device file of the host as stat(2) shows it.
type DeviceNode struct {
	Path  string `json:"path"`
	Mode  uint32 `json:"mode"` // permission bits
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
	Group string `json:"group,omitempty"` // GID's name, if it has one
	Err   string `json:"error,omitempty"` // why it could not be read (missing)
}

// ObservedBridge is a bridge interface on the host.
type ObservedBridge struct {
	Name  string `json:"name"`
	Owned bool   `json:"owned"` // roost created it for this data directory, or Legacy
	// Legacy is true for a bridge a roost from before data directory IDs
	// created (alias roost:bridge): it may be another data directory's.
	Legacy bool `json:"legacy,omitempty"`
	// OtherDataDir is the ID of the data directory that created the
	// bridge when that is not this one (not Owned: used as it is).
	OtherDataDir string         `json:"other_data_dir,omitempty"`
	Addresses    []netip.Prefix `json:"addresses,omitempty"`
	MTU          int            `json:"mtu"`
	Up           bool           `json:"up"`
}

// ObservedTap is a tap interface whose alias says roost made it for this
// data directory, or for one unnamed.
type ObservedTap struct {
	Name      string `json:"name"`
	Unikernel string `json:"unikernel"` // from the alias roost:<unikernel>:<device>
	Device    string `json:"device"`
	Master    string `json:"master,omitempty"` // the bridge it is enslaved to
	Up        bool   `json:"up"`
	// Legacy is true for a tap whose alias names no data directory (a
	// roost from before data directory IDs made it): it is this one's
	// only as far as this data directory's specs name it. A tap another
	// data directory made is not observed as a tap but as Foreign.
	Legacy bool `json:"legacy,omitempty"`
}

// ObservedBlock is a file under dbdir/block.
type ObservedBlock struct {
	Name      string `json:"name"`
	SizeBytes int64  `json:"size_bytes"`
}

// ObservedUnikernel is a directory under dbdir/unikernels.
type ObservedUnikernel struct {
	Name   string  `json:"name"`
	Spec   *Spec   `json:"spec,omitempty"`   // nil if spec.json is missing or unreadable
	Status *Status `json:"status,omitempty"` // nil if status.json is missing or unreadable
	// ShimAlive is true when a process holds shim.lock.
	ShimAlive bool `json:"shim_alive"`
	// TenderAlive is true when Status names a tender pid whose /proc start
	// time matches, on this boot.
	TenderAlive bool `json:"tender_alive"`
	// SpecStale is true when the shim runs with an older spec.json than
	// the one on disk: a reload was lost.
	SpecStale bool `json:"spec_stale,omitempty"`
	// Command is the tender argv recorded with Spec, and CommandNow the
	// one the platform would run for Spec today; they differ when
	// something the tender sees changed outside Spec (the data directory
	// moved).
	Command    []string `json:"command,omitempty"`
	CommandNow []string `json:"command_now,omitempty"`
	Problem    string   `json:"problem,omitempty"` // why Spec or Status is nil
	// StatusProblem is why Status is nil: "missing" when there is no
	// status.json, else what reading it said; "" when it was read.
	StatusProblem string `json:"status_problem,omitempty"`
	// ShimProcState and TenderProcState are the state letters of the
	// live shim's and tender's processes (/proc/PID/stat field 3: "T"
	// is stopped by a signal, "t" by a tracer), "" when not read.
	ShimProcState   string `json:"shim_proc_state,omitempty"`
	TenderProcState string `json:"tender_proc_state,omitempty"`
	// ShimPID is the pid shim.lock records while a process holds it
	// (ShimAlive); status.json's ShimPID is what that file claims.
	ShimPID int `json:"shim_pid,omitempty"`
}

// TenderLookup is the result of looking for a tender.
type TenderLookup struct {
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	Err     string `json:"error,omitempty"`
}

// TenderKey names a tender need: "hvt.2".
func TenderKey(target string, abi uint32) string { return target + "." + itoa(int(abi)) }

// Conflict is an entry of the data directory, or an interface of the
// host, that roost would use but did not make.
type Conflict struct {
	Path    string `json:"path"`    // "block/data", "unikernels/web", "interface rt12..."
	Problem string `json:"problem"` // "is a symbolic link", ...
}
