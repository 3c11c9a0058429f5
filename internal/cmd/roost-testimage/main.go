// Command roost-testimage is a test helper: it writes a synthetic Solo5
// image (internal/solo5test) for tests, the demo and `make examples`. The
// image holds no code; the simulated tender acts out its behaviour.
//
//	roost-testimage -target hvt -net service -block storage -behaviour 'serve' -o web.hvt
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/solo5"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var nets, blocks list
	target := flag.String("target", "hvt", "Solo5 target: hvt or spt")
	abi := flag.Uint("abi", 2, "ABI version")
	behaviour := flag.String("behaviour", "", "what the simulated tender does (see internal/simtender)")
	out := flag.String("o", "", "output file (required)")
	flag.Var(&nets, "net", "a NET_BASIC manifest device (repeatable)")
	flag.Var(&blocks, "block", "a BLOCK_BASIC manifest device (repeatable)")
	flag.Parse()
	t, ok := solo5.ParseTarget(*target)
	if !ok || *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	spec := solo5test.Spec{Target: t, ABIVersion: uint32(*abi), Behaviour: *behaviour}
	for _, n := range nets {
		spec.Devices = append(spec.Devices, solo5test.Net(n))
	}
	for _, b := range blocks {
		spec.Devices = append(spec.Devices, solo5test.Block(b))
	}
	if err := solo5test.Write(*out, spec); err != nil {
		fmt.Fprintf(os.Stderr, "roost-testimage: %v\n", err)
		os.Exit(1)
	}
}
