package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/internal/albatross"
	"github.com/roostd/roost/internal/compress"
	"github.com/zclconf/go-cty/cty"
)

// maxImportImage bounds a decompressed albatross image.
const maxImportImage = 1 << 30

// albatrossBlock is a block file of albatross's dbdir that the import
// carries into roost's: File under <albatross dbdir>/block, Block its
// roost name, Size its size in bytes (-1: no file found).
type albatrossBlock struct {
	File  string
	Block string
	Size  int64
}

// albatrossImport is what an albatross state dump becomes: the files of
// a roost configuration directory (HCL and images), the blocks to carry
// over, the names that changed and the notes for the operator.
type albatrossImport struct {
	Files   map[string][]byte // path relative to DIR
	Blocks  []albatrossBlock
	Renamed [][2]string       // albatross name, roost name
	names   map[string]string // albatross name (wire 5) -> roost name
	Notes   []string
}

// blockFileSize returns the size of the albatross block file name, or an
// error when there is none.
type blockFileSize func(file string) (int64, error)

var roostNameChars = regexp.MustCompile(`[^a-z0-9.-]`)

// roostName turns an albatross name into a roost name: its path and label
// joined by dots (foo:hello becomes foo.hello), cut to roost's rule.
func roostName(labels []string) string {
	s := roostNameChars.ReplaceAllString(strings.ToLower(strings.Join(labels, ".")), "-")
	s = strings.TrimLeft(s, ".-")
	if len(s) > 63 {
		s = s[:63]
	}
	if s == "" {
		s = "unikernel"
	}
	return s
}

// unique returns name, or name-2, name-3, ... (within 63 bytes), the
// first not in taken, and marks it taken.
func unique(name string, taken map[string]bool) string {
	n := name
	for i := 2; taken[n]; i++ {
		suf := "-" + strconv.Itoa(i)
		base := name
		if len(base)+len(suf) > 63 {
			base = base[:63-len(suf)]
		}
		n = base + suf
	}
	taken[n] = true
	return n
}

// convertAlbatross writes st as a roost configuration. size reports the
// albatross block files (nil: none known).
func convertAlbatross(st *albatross.State, size blockFileSize) (*albatrossImport, error) {
	out := &albatrossImport{Files: map[string][]byte{}, names: map[string]string{}}
	type entry struct {
		u    albatross.Unikernel
		name string
	}
	var entries []entry
	taken := map[string]bool{}
	for _, u := range st.Unikernels {
		if u.Typ != "solo5" {
			out.Notes = append(out.Notes, fmt.Sprintf("unikernel %s is a %s virtual machine, which roost does not run: not imported", u.Name, u.Typ))
			continue
		}
		labels := append(append([]string{}, u.Name.Path...), u.Name.Label)
		n := unique(roostName(labels), taken)
		if n != u.Name.Label || len(u.Name.Path) > 0 {
			out.Renamed = append(out.Renamed, [2]string{u.Name.String(), n})
		}
		out.names[u.Name.String()] = n
		entries = append(entries, entry{u, n})
	}
	// Startup priorities (albatross: default 50, lower starts first)
	// become depends_on on the previous priority group.
	prio := func(u albatross.Unikernel) int {
		if u.Startup != nil {
			return *u.Startup
		}
		return 50
	}
	groups := map[int][]string{}
	for _, e := range entries {
		groups[prio(e.u)] = append(groups[prio(e.u)], e.name)
	}
	var levels []int
	for p := range groups {
		levels = append(levels, p)
	}
	sort.Ints(levels)
	before := map[int]int{} // priority -> the one before it
	for i := 1; i < len(levels); i++ {
		before[levels[i]] = levels[i-1]
	}
	blockTaken, blockNames := map[string]string{}, map[string]bool{}
	for _, e := range entries {
		src, err := unikernelHCL(e.u, e.name, groups, before, prio(e.u), len(levels) > 1, size, blockTaken, blockNames, out)
		if err != nil {
			return nil, err
		}
		out.Files[e.name+".hcl"] = src
	}
	if len(st.Policies) > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d albatross policies are not carried over: roost has no policies (one operator, one configuration)", len(st.Policies)))
	}
	return out, nil
}

func comment(body *hclwrite.Body, lines ...string) {
	for _, l := range lines {
		body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# " + l + "\n")}})
	}
}

func strList(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vs := make([]cty.Value, len(ss))
	for i, s := range ss {
		vs[i] = cty.StringVal(s)
	}
	return cty.ListVal(vs)
}

func intList(ns []int) cty.Value {
	if len(ns) == 0 {
		return cty.ListValEmpty(cty.Number)
	}
	vs := make([]cty.Value, len(ns))
	for i, n := range ns {
		vs[i] = cty.NumberIntVal(int64(n))
	}
	return cty.ListVal(vs)
}

// albatrossConfigError is albatross's (and roost's) rule: these exit codes never
// restart.
func albatrossConfigError(code int) bool { return code == 1 || (code >= 60 && code <= 64) }

func unikernelHCL(u albatross.Unikernel, name string, groups map[int][]string, before map[int]int, prio int, prioritised bool, size blockFileSize, blockTaken map[string]string, blockNames map[string]bool, out *albatrossImport) ([]byte, error) {
	note := func(format string, args ...any) string {
		s := fmt.Sprintf(format, args...)
		out.Notes = append(out.Notes, fmt.Sprintf("%s (%s.hcl): %s", name, name, s))
		return s
	}
	img, err := importImage(u)
	if err != nil {
		return nil, err
	}
	imgPath := "images/" + name + ".hvt"
	out.Files[imgPath] = img

	f := hclwrite.NewEmptyFile()
	root := f.Body()
	comment(root, fmt.Sprintf("Imported from albatross: unikernel %s.", u.Name))
	blocks, attaches := importBlocks(u, size, blockTaken, blockNames, out, note)
	for _, bb := range blocks {
		root.AppendBlock(bb)
		root.AppendNewline()
	}

	ub := root.AppendNewBlock("unikernel", []string{name})
	body := ub.Body()
	body.SetAttributeValue("image", cty.StringVal(imgPath))
	body.SetAttributeValue("memory", cty.NumberIntVal(int64(u.Memory)))
	if len(u.CPUIDs) > 0 {
		body.SetAttributeValue("cpus", intList(u.CPUIDs))
	}
	if u.NumCPUs > 1 {
		comment(body, note("albatross gave it %d CPUs (a bhyve setting); Solo5 unikernels run on one", u.NumCPUs))
	}
	if u.Argv != nil {
		body.SetAttributeValue("argv", strList(u.Argv))
	}
	if u.AddName {
		comment(body, fmt.Sprintf("albatross passed --name=%s first (add_name); roost does not: add it to argv if the unikernel reads it.", u.Name))
	}
	if prioritised {
		if p, ok := before[prio]; ok {
			comment(body, fmt.Sprintf("albatross startup priority %d: it started after the priority %d group, so it depends on it.", prio, p))
			body.SetAttributeValue("depends_on", strList(groups[p]))
		} else {
			comment(body, fmt.Sprintf("albatross startup priority %d: the first group it started.", prio))
		}
	}
	importNets(body, u, name, note)
	importAttaches(body, attaches)
	body.AppendNewline()
	importRestart(body.AppendNewBlock("restart", nil).Body(), u.Fail)
	src, diags := config.Format(f.Bytes(), name+".hcl")
	if diags.HasErrors() {
		return nil, fmt.Errorf("BUG: format the import of %s: %s", u.Name, diags.Error())
	}
	return src, nil
}

// importImage is the unikernel's image, decompressed if albatross kept it
// compressed.
func importImage(u albatross.Unikernel) ([]byte, error) {
	if !u.Compressed {
		return u.Image, nil
	}
	z, err := compress.NewReader(bytes.NewReader(u.Image), maxImportImage)
	if err != nil {
		return nil, fmt.Errorf("decompress the image of %s: %w", u.Name, err)
	}
	if z.Format == compress.None {
		return nil, fmt.Errorf("decompress the image of %s: albatross marks it compressed, but it is neither zlib nor gzip", u.Name)
	}
	img, err := io.ReadAll(z)
	if err != nil {
		return nil, fmt.Errorf("decompress the image of %s: %w", u.Name, err)
	}
	return img, nil
}

// importAttach is one of a unikernel's block devices, as the import writes
// it.
type importAttach struct {
	dev, block string
	sector     *int
	notes      []string
}

// importBlocks declares the blocks of u that no earlier unikernel
// declared, and returns them and u's attachments.
func importBlocks(u albatross.Unikernel, size blockFileSize, blockTaken map[string]string, blockNames map[string]bool, out *albatrossImport, note func(string, ...any) string) ([]*hclwrite.Block, []importAttach) {
	var blocks []*hclwrite.Block
	var attaches []importAttach
	for _, b := range u.Blocks {
		dev := b.Name
		albName := b.BlockName()
		// albatross names a block by the unikernel's path and the block
		// name: unikernels of one path that name one block share it.
		file := u.Name.BlockFile(albName)
		a := importAttach{dev: dev, sector: b.SectorSize}
		if !config.ValidDevice(dev) {
			a.notes = append(a.notes, note("device %q is no Solo5 manifest name (1 to 67 letters and digits): kept as albatross had it, fix it to the image's manifest name", dev))
		}
		if rn, ok := blockTaken[file]; ok {
			a.block = rn
			attaches = append(attaches, a)
			continue
		}
		dotted := roostName(append(append([]string{}, u.Name.Path...), albName))
		rn := unique(dotted, blockNames)
		blockTaken[file] = rn
		a.block = rn
		var sz int64 = -1
		if size != nil {
			// Older albatross versions wrote dotted names.
			for _, cand := range []string{file, dotted, albName} {
				if n, err := size(cand); err == nil {
					file, sz = cand, n
					break
				}
			}
		}
		blocks = append(blocks, albatrossBlockHCL(rn, file, sz, note))
		out.Blocks = append(out.Blocks, albatrossBlock{File: file, Block: rn, Size: sz})
		attaches = append(attaches, a)
	}
	return blocks, attaches
}

// albatrossBlockHCL is the block rn for albatross's block file of sz bytes (-1:
// not found).
func albatrossBlockHCL(rn, file string, sz int64, note func(string, ...any) string) *hclwrite.Block {
	bb := hclwrite.NewBlock("block", []string{rn})
	if sz < 0 {
		comment(bb.Body(), note("albatross block file %s not found: size 1 MiB is a placeholder", file))
		bb.Body().SetAttributeValue("size", cty.NumberIntVal(1))
		return bb
	}
	mib := max((sz+1<<20-1)>>20, 1)
	if sz != mib<<20 {
		comment(bb.Body(), note("albatross block file %s has %d bytes, not whole MiB: roost declares %d MiB and grows it", file, sz, mib))
	}
	comment(bb.Body(), fmt.Sprintf("albatross block %s (%d bytes).", file, sz))
	bb.Body().SetAttributeValue("size", cty.NumberIntVal(mib))
	return bb
}

// importNets writes u's net devices.
func importNets(body *hclwrite.Body, u albatross.Unikernel, name string, note func(string, ...any) string) {
	for _, br := range u.Bridges {
		body.AppendNewline()
		nb := body.AppendNewBlock("net", []string{br.Name})
		if !config.ValidDevice(br.Name) {
			comment(nb.Body(), note("device %q is no Solo5 manifest name (1 to 67 letters and digits): kept as albatross had it, fix it to the image's manifest name", br.Name))
		}
		hb := br.HostBridge()
		if len(hb) > config.MaxIfNameLen {
			comment(nb.Body(), note("bridge %q is %d bytes long, more than an interface name takes (%d): kept as albatross had it", hb, len(hb), config.MaxIfNameLen))
		}
		if hb != br.Name {
			nb.Body().SetAttributeValue("bridge", cty.StringVal(hb))
		}
		if br.MAC != nil {
			nb.Body().SetAttributeValue("mac", cty.StringVal(br.MAC.String()))
		} else if derived := u.Name.MAC(br.Name).String(); config.DefaultMAC(br.Name, name) != derived {
			comment(nb.Body(), "The MAC albatross derived from the albatross name, kept: roost would derive another from the roost name.")
			nb.Body().SetAttributeValue("mac", cty.StringVal(derived))
		}
	}
}

// importAttaches writes the unikernel's block devices.
func importAttaches(body *hclwrite.Body, attaches []importAttach) {
	for _, a := range attaches {
		body.AppendNewline()
		bb := body.AppendNewBlock("block", []string{a.dev})
		if len(a.notes) > 0 {
			comment(bb.Body(), a.notes...)
		}
		if a.block != a.dev {
			bb.Body().SetAttributeValue("device", cty.StringVal(a.block))
		}
		if a.sector != nil {
			bb.Body().SetAttributeValue("sector_size", cty.NumberIntVal(int64(*a.sector)))
		}
	}
}

// importRestart writes albatross's fail behaviour as a restart block.
func importRestart(rb *hclwrite.Body, fail albatross.FailBehaviour) {
	switch {
	case !fail.Restart:
		rb.SetAttributeValue("policy", cty.StringVal("never"))
	case len(fail.ExitCodes) == 0:
		comment(rb, "albatross restarted it on every exit but a configuration error (1, 60-64), and not after a signal.")
		rb.SetAttributeValue("policy", cty.StringVal("always"))
	default:
		var codes, dropped []int
		for _, c := range fail.ExitCodes {
			if c == 0 || albatrossConfigError(c) || c > 255 || c < 0 {
				dropped = append(dropped, c)
				continue
			}
			codes = append(codes, c)
		}
		if len(dropped) > 0 {
			comment(rb, fmt.Sprintf("albatross listed exit codes %v too, which it never restarted on (0, 1, 60-64 or out of range).", dropped))
		}
		rb.SetAttributeValue("policy", cty.StringVal("on-failure"))
		if len(codes) > 0 {
			rb.SetAttributeValue("exit_codes", intList(codes))
		}
	}
}
