package datadir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Spec is unikernels/<name>/spec.json: what roost applied for one
// unikernel. platform writes it from plan's spec, with the paths and the
// tender's argv filled in; the shim starts the tender with Command and
// follows Restart and StopTimeout, which it reads again on SIGHUP.
type Spec struct {
	Name string `json:"name"`
	// Image is the configuration's image path (for people); ImageFile is
	// the content-addressed copy under images/ that the tender runs.
	Image       string `json:"image"`
	ImageFile   string `json:"image_file"`
	ImageSHA256 string `json:"image_sha256"`
	Target      string `json:"target"` // "hvt" or "spt"
	ABIVersion  uint32 `json:"abi_version"`
	Tender      string `json:"tender"`
	// TenderVersion is the first line of the tender's --version.
	TenderVersion string      `json:"tender_version,omitempty"`
	MemoryMiB     int         `json:"memory_mib"`
	CPUs          []int       `json:"cpus,omitempty"` // host CPUs the shim pins the tender to
	Argv          []string    `json:"argv,omitempty"` // the unikernel's own arguments
	Nets          []SpecNet   `json:"nets,omitempty"`
	Blocks        []SpecBlock `json:"blocks,omitempty"`
	Restart       Restart     `json:"restart"`
	StopTimeout   Duration    `json:"stop_timeout"`
	DependsOn     []string    `json:"depends_on,omitempty"`
	// Command is the tender's full argv, rendered from the fields above
	// when the spec is written.
	Command []string `json:"command"`
	// Source is where the unikernel is declared ("web.hcl:3"), for
	// messages.
	Source string `json:"source,omitempty"`
	// UID and GID are the user and group the tender runs as, allocated by
	// roost for this unikernel and kept while its directory lives; 0 (or
	// absent) is root, with every capability, as before issue 13. Groups
	// are its only supplementary groups (the group that opens /dev/kvm
	// for hvt).
	UID    int   `json:"uid,omitempty"`
	GID    int   `json:"gid,omitempty"`
	Groups []int `json:"groups,omitempty"`
}

// SpecNet is a net device as applied: Tap is the host interface.
type SpecNet struct {
	Device string `json:"device"`
	Bridge string `json:"bridge"`
	MAC    string `json:"mac"`
	Tap    string `json:"tap"`
}

// SpecBlock is a block device as applied: Path is the file under block/.
type SpecBlock struct {
	Device     string `json:"device"`
	Block      string `json:"block"`
	Path       string `json:"path"`
	SectorSize int    `json:"sector_size"`
	SizeMiB    int64  `json:"size_mib"`
}

// Restart policies, as spec.json spells them.
const (
	RestartAlways    = "always"
	RestartOnFailure = "on-failure"
	RestartNever     = "never"
)

// Restart is what the shim does when a tender ends.
type Restart struct {
	Policy     string   `json:"policy"` // RestartAlways, RestartOnFailure or RestartNever; "" is on-failure
	ExitCodes  []int    `json:"exit_codes,omitempty"`
	Backoff    Duration `json:"backoff"`     // 0: DefaultBackoff
	MaxBackoff Duration `json:"max_backoff"` // 0: DefaultMaxBackoff
}

// What the shim uses for a zero value in spec.json. They equal the file
// format's defaults (plan's), which a test in platform checks.
const (
	DefaultBackoff     = Duration(time.Second)
	DefaultMaxBackoff  = Duration(5 * time.Minute)
	DefaultStopTimeout = Duration(10 * time.Second)
)

// Digest is the hex SHA-256 of spec's JSON encoding: status.json records
// the digest of the spec the shim last read, so that a lost reload shows.
func Digest(spec *Spec) string {
	b, err := json.Marshal(spec)
	if err != nil {
		panic("BUG: digest of unencodable spec: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FileDigest is the Digest of the spec that b, a valid JSON encoding of
// one, holds, when b is laid out as WriteJSON writes it: the digest of b
// without the whitespace between its tokens, which is what json.Marshal
// writes (WriteJSON only indents that). For b laid out otherwise it is
// another digest; so equal to a recorded Digest it proves the same spec,
// while unequal it proves nothing, and the caller falls back to Digest.
// A plan checks each unikernel's spec against its shim's record this
// way without encoding every spec again.
func FileDigest(b []byte) string {
	h := sha256.New()
	inString, escaped := false, false
	start := 0
	for i, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			h.Write(b[start:i])
			start = i + 1
		}
	}
	h.Write(b[start:])
	return hex.EncodeToString(h.Sum(nil))
}

// Duration is a time.Duration that reads and writes as Go duration text
// ("1s", "5m0s") in JSON, so that spec files stay readable.
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a string such as "10s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	// A duration is a short string with no escapes ("1s"): taken from
	// between its quotes directly, since a nested json.Unmarshal, which
	// validates its input again, made decoding a spec.json take twice
	// as long (a plan of 1,000 decodes 1,000).
	s, ok := plainString(b)
	if !ok {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// plainString returns the content of the JSON string b if it has no
// escape sequence, which is all it needs decoding for.
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	for _, c := range b[1 : len(b)-1] {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return "", false
		}
	}
	return string(b[1 : len(b)-1]), true
}
