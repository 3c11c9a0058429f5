package solo5

import (
	"fmt"
	"strconv"
)

// Launch is everything a tender is started with.
type Launch struct {
	Tender    string
	Image     string
	MemoryMiB int
	Nets      []NetArg
	Blocks    []BlockArg
	// Args are the unikernel's own arguments, after "--" and the image.
	Args []string
}

// NetArg attaches the tap Tap as the manifest's net device Device.
type NetArg struct {
	Device string
	Tap    string
	MAC    string
}

// BlockArg attaches the file Path as the manifest's block device Device.
type BlockArg struct {
	Device     string
	Path       string
	SectorSize int // 0 or 512: the tender's default, not passed
}

// Argv returns the tender's command line in the order albatross uses:
// tender --mem=N --net:D=TAP... --net-mac:D=MAC... --block:D=PATH...
// --block-sector-size:D=N... -- IMAGE ARGS...
func (l Launch) Argv() []string {
	argv := []string{l.Tender, "--mem=" + strconv.Itoa(l.MemoryMiB)}
	for _, n := range l.Nets {
		argv = append(argv, "--net:"+n.Device+"="+n.Tap)
	}
	for _, n := range l.Nets {
		if n.MAC != "" {
			argv = append(argv, "--net-mac:"+n.Device+"="+n.MAC)
		}
	}
	for _, b := range l.Blocks {
		argv = append(argv, "--block:"+b.Device+"="+b.Path)
	}
	for _, b := range l.Blocks {
		if b.SectorSize != 0 && b.SectorSize != 512 {
			argv = append(argv, "--block-sector-size:"+b.Device+"="+strconv.Itoa(b.SectorSize))
		}
	}
	argv = append(argv, "--", l.Image)
	return append(argv, l.Args...)
}

// TenderNames returns the file names a tender for target t and ABI version
// abi may have, most specific first: solo5-hvt.2, solo5-hvt.
func TenderNames(t Target, abi uint32) []string {
	base := "solo5-" + t.String()
	return []string{fmt.Sprintf("%s.%d", base, abi), base}
}
