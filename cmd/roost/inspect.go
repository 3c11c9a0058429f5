package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/roostd/roost/plan/planjson"
	"github.com/roostd/roost/platform/solo5"
)

const inspectHelp = `
Show what a Solo5 unikernel image declares: its target (hvt, spt, ...), ABI
version, machine, manifest devices and SHA-256, the facts solo5-elftool's
query-abi and query-manifest print. Exit status 1 if IMAGE is not a valid
Solo5 image.`

// inspectJSON is the -json output of roost inspect.
type inspectJSON struct {
	FormatVersion string `json:"format_version"`
	Path          string `json:"path"`
	Size          int64  `json:"size"`
	SHA256        string `json:"sha256"`
	Machine       string `json:"machine"` // GOARCH spelling: amd64, arm64, ppc64le
	// Target and ABIVersion are what solo5-elftool query-abi prints.
	Target     string `json:"target"`
	ABIVersion uint32 `json:"abi_version"`
	// Devices are what solo5-elftool query-manifest prints, in manifest
	// order; type is "NET_BASIC" or "BLOCK_BASIC".
	Devices []inspectDevice `json:"devices"`
}

type inspectDevice struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func runInspect(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "inspect", "IMAGE [-json]", inspectHelp)
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errors.New("inspect takes one IMAGE argument")
	}
	img, err := solo5.ReadImage(pos[0])
	if err != nil {
		return err
	}
	out := inspectJSON{
		FormatVersion: planjson.FormatVersion,
		Path:          img.Path,
		Size:          img.Size,
		SHA256:        img.SHA256,
		Machine:       img.Machine.String(),
		Target:        img.Target.String(),
		ABIVersion:    img.ABIVersion,
		Devices:       []inspectDevice{},
	}
	for _, d := range img.Devices {
		out.Devices = append(out.Devices, inspectDevice{d.Name, d.Type.String()})
	}
	if *jsonOut {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "image\t%s\n", out.Path)
	fmt.Fprintf(tw, "target\t%s\n", out.Target)
	fmt.Fprintf(tw, "abi version\t%d\n", out.ABIVersion)
	fmt.Fprintf(tw, "machine\t%s\n", out.Machine)
	fmt.Fprintf(tw, "size\t%d bytes\n", out.Size)
	fmt.Fprintf(tw, "sha256\t%s\n", out.SHA256)
	if len(out.Devices) == 0 {
		fmt.Fprintf(tw, "devices\t(none)\n")
	}
	for i, d := range out.Devices {
		label := ""
		if i == 0 {
			label = "devices"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", label, d.Name, d.Type)
	}
	return tw.Flush()
}
