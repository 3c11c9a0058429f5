package main

import (
	"context"
	"errors"

	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/plan/planjson"
	"github.com/roostd/roost/platform/solo5"
)

const inspectHelp = `
Show what a Solo5 unikernel image declares: its target (hvt, spt, ...), ABI
version, machine, manifest devices and SHA-256, the facts solo5-elftool's
query-abi and query-manifest print. An image compressed with gzip or zlib
is read decompressed (its size and SHA-256 are the decompressed image's,
as the image store keeps it) and the compression is shown. Exit status 1 if IMAGE is not a valid
Solo5 image.`

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
	out := views.Inspect{
		FormatVersion:  planjson.FormatVersion,
		Path:           img.Path,
		Size:           img.Size,
		SHA256:         img.SHA256,
		Compression:    string(img.Compression),
		CompressedSize: img.CompressedSize,
		Machine:        img.Machine.String(),
		Target:         img.Target.String(),
		ABIVersion:     img.ABIVersion,
		Devices:        []views.InspectDevice{},
	}
	for _, d := range img.Devices {
		out.Devices = append(out.Devices, views.InspectDevice{Name: d.Name, Type: d.Type.String()})
	}
	if *jsonOut {
		return views.WriteJSON(g.stdout, out)
	}
	return views.WriteInspect(g.stdout, &out)
}
