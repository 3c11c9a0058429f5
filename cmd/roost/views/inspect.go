package views

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Inspect is the -json output of roost inspect: what a Solo5 image
// declares.
type Inspect struct {
	FormatVersion string `json:"format_version"`
	Path          string `json:"path"`
	// Size and SHA256 are those of the image decompressed, when the
	// file is compressed: what the image store keeps and plans compare.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Compression is "gzip" or "zlib" when the file is compressed
	// (detected by content), and absent otherwise; CompressedSize is
	// then the file's size.
	Compression    string `json:"compression,omitempty"`
	CompressedSize int64  `json:"compressed_size,omitempty"`
	Machine        string `json:"machine"` // GOARCH spelling: amd64, arm64, ppc64le
	// Target and ABIVersion are what solo5-elftool query-abi prints.
	Target     string `json:"target"`
	ABIVersion uint32 `json:"abi_version"`
	// Devices are what solo5-elftool query-manifest prints, in manifest
	// order; type is "NET_BASIC" or "BLOCK_BASIC".
	Devices []InspectDevice `json:"devices"`
}

// InspectDevice is a device of an image's manifest.
type InspectDevice struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// WriteInspect prints img a fact per line, as roost inspect does.
func WriteInspect(w io.Writer, img *Inspect) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "image\t%s\n", img.Path)
	fmt.Fprintf(tw, "target\t%s\n", img.Target)
	fmt.Fprintf(tw, "abi version\t%d\n", img.ABIVersion)
	fmt.Fprintf(tw, "machine\t%s\n", img.Machine)
	fmt.Fprintf(tw, "size\t%d bytes\n", img.Size)
	if img.Compression != "" {
		fmt.Fprintf(tw, "compressed\t%s (%d bytes)\n", img.Compression, img.CompressedSize)
	}
	fmt.Fprintf(tw, "sha256\t%s\n", img.SHA256)
	if len(img.Devices) == 0 {
		fmt.Fprintf(tw, "devices\t(none)\n")
	}
	for i, d := range img.Devices {
		label := ""
		if i == 0 {
			label = "devices"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", label, d.Name, d.Type)
	}
	return tw.Flush()
}
