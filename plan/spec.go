package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Spec is what roost applies for one unikernel, declaratively: platform
// records it in the data directory (spec.json) with the paths and the
// tender's argv it renders from it, and reads it back for plan, which
// compares it with the desired unikernel to decide between nothing, an
// update in place and a replacement.
type Spec struct {
	Name string `json:"name"`
	// Image is the configuration's image path (for people); the tender
	// runs the stored copy of ImageSHA256.
	Image       string `json:"image"`
	ImageSHA256 string `json:"image_sha256"`
	Target      string `json:"target"`
	ABIVersion  uint32 `json:"abi_version"`
	Tender      string `json:"tender"`
	// TenderVersion is the first line of the tender's --version.
	TenderVersion string      `json:"tender_version,omitempty"`
	MemoryMiB     int         `json:"memory_mib"`
	CPUs          []int       `json:"cpus,omitempty"`
	Argv          []string    `json:"argv,omitempty"`
	Nets          []SpecNet   `json:"nets,omitempty"`
	Blocks        []SpecBlock `json:"blocks,omitempty"`
	Restart       Restart     `json:"restart"`
	StopTimeout   Duration    `json:"stop_timeout"`
	DependsOn     []string    `json:"depends_on,omitempty"`
	// Source is where the unikernel is declared, for messages.
	Source string `json:"source,omitempty"`
	// RunAsRoot is true when the tender runs as root (unprivileged =
	// false, or an applied spec from before tenders had users of their
	// own); false is a uid of its own with no capabilities, where the
	// host supports it (Linux).
	RunAsRoot bool `json:"run_as_root,omitempty"`
	// UID is the tender's user, as applied; a desired spec has none (the
	// platform allocates it).
	UID int `json:"uid,omitempty"`
}

// SpecNet is a net device as applied: Tap is the host interface.
type SpecNet struct {
	Device string `json:"device"`
	Bridge string `json:"bridge"`
	MAC    string `json:"mac"`
	Tap    string `json:"tap"`
}

// SpecBlock is a block device as applied.
type SpecBlock struct {
	Device     string `json:"device"`
	Block      string `json:"block"`
	SectorSize int    `json:"sector_size"`
	SizeMiB    int64  `json:"size_mib"`
}

// TapName is the host name of the tap for a unikernel's net device: "rt"
// and 10 hex digits of SHA-256(unikernel "/" device). It fits IFNAMSIZ and
// stays the same across runs, so a host can be observed without memory.
func TapName(unikernel, device string) string {
	sum := sha256.Sum256([]byte(unikernel + "/" + device))
	return "rt" + hex.EncodeToString(sum[:5])
}

// TapAlias is the interface alias of a unikernel's tap, so that the host
// itself says who owns it.
func TapAlias(unikernel, device string) string { return "roost:" + unikernel + ":" + device }

// BridgeAlias marks a bridge roost created (and may therefore delete).
const BridgeAlias = "roost:bridge"

// Digest is a hex SHA-256 of v's JSON encoding, for fingerprints.
func Digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("BUG: digest of unencodable value: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
