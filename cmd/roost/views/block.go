package views

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// BlockList is the -json output of roost block list: every block file of
// the data directory.
type BlockList struct {
	FormatVersion string `json:"format_version"`
	DBDir         string `json:"dbdir"`
	// Blocks are sorted by name; never null.
	Blocks []BlockInfo `json:"blocks"`
}

// BlockInfo is one block on the host.
type BlockInfo struct {
	Name string `json:"name"`
	// SizeBytes is the block's size as the unikernel sees it;
	// AllocatedBytes is what it takes on disk (st_blocks * 512), less
	// when the file is sparse.
	SizeBytes      int64 `json:"size_bytes"`
	AllocatedBytes int64 `json:"allocated_bytes"`
	// Config is "declared" when the configuration in the current
	// directory declares the block, "retained" when it does not (apply
	// keeps it with its data), and "unknown" when there is no valid
	// configuration there to ask.
	Config string `json:"config"`
	// AttachedTo are the unikernels whose applied spec.json attaches the
	// block; never null.
	AttachedTo []BlockAttachment `json:"attached_to"`
}

// BlockAttachment is a unikernel that attaches a block.
type BlockAttachment struct {
	Unikernel string `json:"unikernel"`
	Device    string `json:"device"`
	// Running is true while the unikernel's shim runs: it holds the
	// block open, and export and import refuse the block.
	Running bool `json:"running"`
}

// WriteBlockList prints l as a table, a block a line.
func WriteBlockList(w io.Writer, l *BlockList) error {
	if len(l.Blocks) == 0 {
		_, err := fmt.Fprintf(w, "No blocks in %s.\n", l.DBDir)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tALLOCATED\tCONFIG\tATTACHED")
	for _, b := range l.Blocks {
		var att []string
		for _, a := range b.AttachedTo {
			state := "stopped"
			if a.Running {
				state = "running"
			}
			att = append(att, fmt.Sprintf("%s (%s)", a.Unikernel, state))
		}
		if len(att) == 0 {
			att = []string{"-"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", b.Name, bytesText(uint64(b.SizeBytes)), bytesText(uint64(b.AllocatedBytes)), b.Config, strings.Join(att, ", "))
	}
	return tw.Flush()
}

// BlockCopy is what roost block export and import report once done.
type BlockCopy struct {
	Block     string
	SizeBytes int64
	// Bytes is how many bytes were copied (import: decompressed), and
	// Compression the input's or output's compression, "" for none.
	Bytes       int64
	Compression string
	// File is the other side: a path, or "-" for a standard stream.
	File string
}

// WriteBlockExported says where a block was exported.
func WriteBlockExported(w io.Writer, c BlockCopy) {
	to := c.File
	if to == "-" {
		to = "standard output"
	}
	how := ""
	if c.Compression != "" {
		how = ", " + c.Compression + " compressed"
	}
	fmt.Fprintf(w, "Exported block %s (%s%s) to %s.\n", c.Block, bytesText(uint64(c.SizeBytes)), how, to)
}

// WriteBlockImported says what was imported into a block.
func WriteBlockImported(w io.Writer, c BlockCopy) {
	from := c.File
	if from == "-" {
		from = "standard input"
	}
	how := ""
	if c.Compression != "" {
		how = ", " + c.Compression + " compressed"
	}
	fmt.Fprintf(w, "Imported %s from %s%s into block %s (%s).\n", bytesText(uint64(c.Bytes)), from, how, c.Block, bytesText(uint64(c.SizeBytes)))
}

// Progress draws a one-line progress bar for a copy of total bytes,
// redrawing it when the percentage changes. Use it only on a terminal.
type Progress struct {
	W     io.Writer
	What  string
	Total int64
	last  int
}

// Update shows done of the total bytes.
func (p *Progress) Update(done int64) {
	if p.Total <= 0 {
		return
	}
	pct := int(done * 100 / p.Total)
	if pct == p.last && done < p.Total {
		return
	}
	p.last = pct
	const width = 30
	n := min(pct*width/100, width)
	fmt.Fprintf(p.W, "\r%s [%s%s] %3d%% %s / %s", p.What, strings.Repeat("=", n), strings.Repeat(" ", width-n), pct, bytesText(uint64(done)), bytesText(uint64(p.Total)))
}

// Done ends the progress line.
func (p *Progress) Done() { fmt.Fprintln(p.W) }
