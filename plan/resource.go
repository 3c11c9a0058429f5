package plan

import (
	"net/netip"
	"strconv"
	"time"
)

// Pos is where a resource is declared, for messages: "web.hcl:12".
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// Desired is the host a configuration declares: names are unique within each
// kind, instances of count and for_each are expanded, references resolved
// and checked, and image facts read.
type Desired struct {
	Bridges    []Bridge    `json:"bridges"`
	Blocks     []Block     `json:"blocks"`
	Unikernels []Unikernel `json:"unikernels"`
	// Moves are the configuration's moved blocks, in the order written:
	// each From is no longer declared, each To is, and no name is the
	// From of one move and the To of another.
	Moves []Moved `json:"moves,omitempty"`
}

// Moved says that the block or unikernel once named From is now named To:
// what the host holds under From is renamed, keeping its data, rather
// than deleted and created again.
type Moved struct {
	Kind string `json:"kind"` // KindBlock or KindUnikernel
	From string `json:"from"` // instance names: "data-0", "web-a"
	To   string `json:"to"`
	Pos  Pos    `json:"-"`
}

// Bridge is a host bridge the unikernels' taps are enslaved to.
type Bridge struct {
	Name      string         `json:"name"`
	Addresses []netip.Prefix `json:"addresses,omitempty"`
	MTU       int            `json:"mtu,omitempty"` // 0: leave the kernel's default
	Pos       Pos            `json:"-"`
}

// Block is a block device: a file under dbdir/block/.
type Block struct {
	Name    string `json:"name"`
	SizeMiB int64  `json:"size_mib"`
	// Source is the absolute path of a file whose contents a new block
	// starts with; it is not read again once the block exists.
	Source string `json:"source,omitempty"`
	Pos    Pos    `json:"-"`
}

// Image is a unikernel image as the configuration names it and as its
// notes describe it.
type Image struct {
	Path       string   `json:"path"`
	SHA256     string   `json:"sha256"`
	Target     string   `json:"target"` // "hvt" or "spt"
	ABIVersion uint32   `json:"abi_version"`
	Nets       []string `json:"nets,omitempty"`   // manifest NET_BASIC devices
	Blocks     []string `json:"blocks,omitempty"` // manifest BLOCK_BASIC devices
}

// Unikernel is one unikernel instance.
type Unikernel struct {
	Name        string            `json:"name"`
	Image       Image             `json:"image"`
	MemoryMiB   int               `json:"memory_mib"`
	CPUs        []int             `json:"cpus,omitempty"`
	Argv        []string          `json:"argv,omitempty"`
	Nets        []Net             `json:"nets,omitempty"`
	Blocks      []BlockAttachment `json:"blocks,omitempty"`
	Restart     Restart           `json:"restart"`
	StopTimeout Duration          `json:"stop_timeout"`
	DependsOn   []string          `json:"depends_on,omitempty"` // instance names, sorted
	// RunAsRoot is `unprivileged = false`: the tender runs as root.
	RunAsRoot bool `json:"run_as_root,omitempty"`
	Pos       Pos  `json:"-"`
}

// Net attaches a tap on Bridge to the image's net device Device.
type Net struct {
	Device string `json:"device"`
	Bridge string `json:"bridge"`
	MAC    string `json:"mac"` // lower-case, colon-separated; defaulted by config
}

// BlockAttachment attaches the block Block as the image's block device
// Device.
type BlockAttachment struct {
	Device     string `json:"device"`
	Block      string `json:"block"`
	SectorSize int    `json:"sector_size"`
	// SizeMiB is the block's size: the tender reads a block's capacity
	// when it starts, so a resize restarts the unikernel.
	SizeMiB int64 `json:"size_mib"`
}

// Restart policies.
const (
	RestartAlways    = "always"
	RestartOnFailure = "on-failure"
	RestartNever     = "never"
)

// Restart is what the shim does when a tender ends.
type Restart struct {
	Policy     string   `json:"policy"`
	ExitCodes  []int    `json:"exit_codes,omitempty"`
	Backoff    Duration `json:"backoff"`
	MaxBackoff Duration `json:"max_backoff"`
}

// Defaults of the file format.
const (
	DefaultMemoryMiB   = 32
	DefaultSectorSize  = 512
	DefaultBackoff     = Duration(time.Second)
	DefaultMaxBackoff  = Duration(5 * time.Minute)
	DefaultStopTimeout = Duration(10 * time.Second)
)

func itoa(n int) string { return strconv.Itoa(n) }
