package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
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
// itself says who owns it: "roost:<unikernel>:<device>:<owner>", where
// owner is the ID of the data directory that made it (datadir.Dir.ID).
// A roost from before data directory IDs wrote no owner.
func TapAlias(unikernel, device, owner string) string {
	a := "roost:" + unikernel + ":" + device
	if owner != "" {
		a += ":" + owner
	}
	return a
}

// ParseTapAlias splits the alias of a tap (TapAlias). Neither unikernel
// nor device names nor owners contain a colon, so the split is
// unambiguous; owner is "" for an alias from before data directory IDs.
// It is for taps only: a bridge's alias (BridgeAlias) may parse too.
func ParseTapAlias(alias string) (unikernel, device, owner string, ok bool) {
	rest, ok := strings.CutPrefix(alias, "roost:")
	if !ok {
		return "", "", "", false
	}
	f := strings.Split(rest, ":")
	if len(f) < 2 || len(f) > 3 || f[0] == "" || f[1] == "" {
		return "", "", "", false
	}
	if len(f) == 3 {
		if !validOwner(f[2]) {
			return "", "", "", false
		}
		owner = f[2]
	}
	return f[0], f[1], owner, true
}

// validOwner reports whether owner has the form of a data directory ID:
// lowercase hex digits, at most 64.
func validOwner(owner string) bool {
	if owner == "" || len(owner) > 64 {
		return false
	}
	for _, c := range owner {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// OtherDataDirTap is what Observed.Foreign says of a tap that another
// data directory (ID owner) made for its unikernel's net device.
func OtherDataDirTap(unikernel, device, owner string) string {
	return otherTapPrefix + unikernel + " (net " + device + ") of another roost data directory (ID " + owner + ")"
}

const otherTapPrefix = "the tap of unikernel "

// legacyBridgeAlias is the alias a roost from before data directory IDs
// gave the bridges it created.
const legacyBridgeAlias = "roost:bridge"

// BridgeAlias is the alias of a bridge roost created for the data
// directory whose ID is owner (and may therefore delete):
// "roost:bridge:<owner>".
func BridgeAlias(owner string) string {
	if owner == "" {
		return legacyBridgeAlias
	}
	return legacyBridgeAlias + ":" + owner
}

// ParseBridgeAlias says whether alias is that of a bridge roost created,
// and for which data directory: owner "" for one from before data
// directory IDs.
func ParseBridgeAlias(alias string) (owner string, ok bool) {
	if alias == legacyBridgeAlias {
		return "", true
	}
	owner, ok = strings.CutPrefix(alias, legacyBridgeAlias+":")
	if !ok || !validOwner(owner) {
		return "", false
	}
	return owner, true
}

// Digest is a hex SHA-256 of v's JSON encoding, for fingerprints.
func Digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("BUG: digest of unencodable value: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
