package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/plan"
	"github.com/zclconf/go-cty/cty"
)

var (
	settingsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "dbdir"}, {Name: "tenders"}, {Name: "unikernel_uids"},
	}}
	bridgeSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "addresses"}, {Name: "mtu"},
	}}
	blockSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "size", Required: true}, {Name: "source"}, {Name: "count"}, {Name: "for_each"},
	}}
	unikernelSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "image", Required: true}, {Name: "memory"}, {Name: "cpus"}, {Name: "argv"},
			{Name: "stop_timeout"}, {Name: "depends_on"}, {Name: "count"}, {Name: "for_each"},
			{Name: "unprivileged"},
		},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "net", LabelNames: []string{"device"}},
			{Type: "block", LabelNames: []string{"device"}},
			{Type: "restart"},
		},
	}
	netSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "bridge"}, {Name: "mac"},
	}}
	attachSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "device"}, {Name: "sector_size"},
	}}
	restartSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "policy"}, {Name: "exit_codes"}, {Name: "backoff"}, {Name: "max_backoff"},
	}}
)

// Limits on values that are legal in form but not on any host.
const (
	maxMemoryMiB  = 1 << 20 // 1 TiB
	maxBlockMiB   = 1 << 24 // 16 TiB
	maxCPU        = 4095
	maxSectorSize = 32768 // the tenders take a uint16
)

type bridgeDecl struct {
	plan.Bridge
	def hcl.Range
}

type blockDecl struct {
	plan.Block
	def hcl.Range
}

type unikernelDecl struct {
	plan.Unikernel
	base      string // the block's label; instances of count/for_each share it
	def       hcl.Range
	image     *hcl.Attribute
	cpus      *hcl.Attribute
	dependsOn *hcl.Attribute
	depNames  []string // depends_on as written
	// badDevice is set when a device name broke Solo5's rule; comparing
	// with the manifest would only repeat that.
	badDevice bool
	nets      []netDecl
	blocks    []attachDecl
}

type netDecl struct {
	def    hcl.Range
	bridge hcl.Range // the bridge attribute, or the label when defaulted
	mac    *hcl.Range
}

type attachDecl struct {
	def    hcl.Range
	device hcl.Range
}

func (l *loader) decodeSettings(ctx *hcl.EvalContext) {
	b := l.decls.roost
	if b == nil {
		return
	}
	content, diags := b.Body.Content(settingsSchema)
	l.diags = append(l.diags, diags...)
	l.cfg.Settings.Pos = posOf(b.DefRange)
	if a, ok := content.Attributes["dbdir"]; ok {
		if p, ok := l.path(a, ctx); ok {
			l.cfg.Settings.DBDir = p
		}
	}
	if a, ok := content.Attributes["tenders"]; ok {
		if dirs, ok := l.strings(a, ctx); ok {
			for _, d := range dirs {
				l.cfg.Settings.Tenders = append(l.cfg.Settings.Tenders, l.resolve(a.Expr.Range().Filename, d))
			}
		}
	}
	if a, ok := content.Attributes["unikernel_uids"]; ok {
		// The tenders' users (issue 13): never 0, and below 2^31 so that
		// no uid is read as negative.
		if r, ok := l.integers(a, ctx, 1, 1<<31-2, "uid"); ok {
			if len(r) != 2 || r[0] > r[1] {
				l.invalid(a, "Invalid uid range", "unikernel_uids is [FIRST, LAST], the first and last uid roost gives tenders, with FIRST <= LAST.")
			} else {
				l.cfg.Settings.UIDs = [2]int{r[0], r[1]}
			}
		}
	}
}

func (l *loader) decodeBridges(ctx *hcl.EvalContext) {
	for _, b := range l.duplicates("bridge", l.decls.bridges) {
		name := b.Labels[0]
		if p := ifNameProblem(name); p != "" {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid bridge name",
				Detail:   fmt.Sprintf("The bridge name %q is not a valid interface name: %s.", name, p),
				Subject:  rangePtr(b.LabelRanges[0]),
			})
		}
		content, diags := b.Body.Content(bridgeSchema)
		l.diags = append(l.diags, diags...)
		br := bridgeDecl{Bridge: plan.Bridge{Name: name, Pos: posOf(b.DefRange)}, def: b.DefRange}
		if a, ok := content.Attributes["addresses"]; ok {
			if addrs, ok := l.strings(a, ctx); ok {
				seen := map[netip.Prefix]bool{}
				for _, s := range addrs {
					p, err := netip.ParsePrefix(s)
					if err != nil {
						l.invalid(a, "Invalid bridge address", "%q is not an address with a prefix length, such as \"192.0.2.1/24\" or \"2001:db8::1/64\".", s)
						continue
					}
					if seen[p] {
						l.invalid(a, "Duplicate bridge address", "The address %s is listed twice.", p)
						continue
					}
					seen[p] = true
					br.Addresses = append(br.Addresses, p)
				}
			}
		}
		if a, ok := content.Attributes["mtu"]; ok {
			if mtu, ok := l.integer(a, ctx, 68, 65535, "MTU"); ok {
				br.MTU = int(mtu)
			}
		}
		l.bridges = append(l.bridges, br)
	}
}

func (l *loader) decodeBlocks(ctx *hcl.EvalContext) {
	for _, b := range l.duplicates("block", l.decls.blocks) {
		if !l.checkName("block", b) {
			continue
		}
		content, diags := b.Body.Content(blockSchema)
		l.diags = append(l.diags, diags...)
		for _, inst := range l.expand("block", b, content, ctx) {
			bl := blockDecl{Block: plan.Block{Name: inst.name, Pos: posOf(b.DefRange)}, def: b.DefRange}
			if a, ok := content.Attributes["size"]; ok {
				if size, ok := l.integer(a, inst.ctx, 1, maxBlockMiB, "block size in MiB"); ok {
					bl.SizeMiB = size
				}
			}
			if a, ok := content.Attributes["source"]; ok {
				if p, ok := l.path(a, inst.ctx); ok {
					bl.Source = p
					l.checkSource(a, bl.Block)
				}
			}
			l.blocks = append(l.blocks, bl)
		}
	}
}

func (l *loader) checkName(kind string, b *hcl.Block) bool {
	if ValidName(b.Labels[0]) {
		return true
	}
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s name", kind),
		Detail:   fmt.Sprintf("The name %q breaks the name rule: %s. Names become file names under the data directory.", b.Labels[0], NameRule),
		Subject:  rangePtr(b.LabelRanges[0]),
	})
	return false
}

func (l *loader) decodeUnikernels(ctx *hcl.EvalContext) {
	for _, b := range l.duplicates("unikernel", l.decls.unikernels) {
		if !l.checkName("unikernel", b) {
			continue
		}
		content, diags := b.Body.Content(unikernelSchema)
		l.diags = append(l.diags, diags...)
		for _, inst := range l.expand("unikernel", b, content, ctx) {
			l.unikernels = append(l.unikernels, l.decodeUnikernel(b, content, inst))
		}
	}
}

func (l *loader) decodeUnikernel(b *hcl.Block, content *hcl.BodyContent, inst instance) *unikernelDecl {
	ctx := inst.ctx
	u := &unikernelDecl{
		Unikernel: plan.Unikernel{
			Name:        inst.name,
			MemoryMiB:   plan.DefaultMemoryMiB,
			StopTimeout: plan.DefaultStopTimeout,
			Restart: plan.Restart{
				Policy:     plan.RestartOnFailure,
				Backoff:    plan.DefaultBackoff,
				MaxBackoff: plan.DefaultMaxBackoff,
			},
			Pos: posOf(b.DefRange),
		},
		base: b.Labels[0],
		def:  b.DefRange,
	}
	attrs := content.Attributes
	if a, ok := attrs["image"]; ok {
		u.image = a
		if p, ok := l.path(a, ctx); ok {
			u.Image.Path = p
		}
	}
	if a, ok := attrs["memory"]; ok {
		if m, ok := l.integer(a, ctx, 1, maxMemoryMiB, "memory in MiB"); ok {
			u.MemoryMiB = int(m)
		}
	}
	if a, ok := attrs["cpus"]; ok {
		u.cpus = a
		if cpus, ok := l.integers(a, ctx, 0, maxCPU, "CPU number"); ok {
			seen := map[int]bool{}
			for _, c := range cpus {
				if seen[c] {
					l.invalid(a, "Duplicate CPU", "CPU %d is listed twice.", c)
					continue
				}
				seen[c] = true
				u.CPUs = append(u.CPUs, c)
			}
		}
	}
	if a, ok := attrs["argv"]; ok {
		if argv, ok := l.strings(a, ctx); ok {
			u.Argv = argv
		}
	}
	if a, ok := attrs["stop_timeout"]; ok {
		if d, ok := l.duration(a, ctx, false); ok {
			u.StopTimeout = plan.Duration(d)
		}
	}
	if a, ok := attrs["unprivileged"]; ok {
		if v, ok := l.value(a, ctx, cty.Bool); ok {
			u.RunAsRoot = v.False()
		}
	}
	if a, ok := attrs["depends_on"]; ok {
		u.dependsOn = a
		if deps, ok := l.strings(a, ctx); ok {
			u.depNames = deps
		}
	}

	devices := map[string]hcl.Range{}
	seenDevice := func(blk *hcl.Block) bool {
		dev := blk.Labels[0]
		if !ValidDevice(dev) {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid device name",
				Detail:   fmt.Sprintf("The device name %q breaks Solo5's rule for manifest names: 1 to 67 ASCII letters and digits.", dev),
				Subject:  rangePtr(blk.LabelRanges[0]),
			})
			u.badDevice = true
			return true
		}
		if first, ok := devices[dev]; ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate device",
				Detail:   fmt.Sprintf("The device %q of unikernel %q was already attached at %s. A manifest device is attached once.", dev, inst.name, first),
				Subject:  rangePtr(blk.DefRange),
			})
			return true
		}
		devices[dev] = blk.DefRange
		return false
	}
	var restart *hcl.Block
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "net":
			if seenDevice(blk) {
				continue
			}
			l.decodeNet(u, blk, ctx)
		case "block":
			if seenDevice(blk) {
				continue
			}
			l.decodeAttachment(u, blk, ctx)
		case "restart":
			if restart != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate restart block",
					Detail:   fmt.Sprintf("Unikernel %q already has a restart block at %s.", inst.name, restart.DefRange),
					Subject:  rangePtr(blk.DefRange),
				})
				continue
			}
			restart = blk
			l.decodeRestart(u, blk, ctx)
		}
	}
	return u
}

func (l *loader) decodeNet(u *unikernelDecl, blk *hcl.Block, ctx *hcl.EvalContext) {
	content, diags := blk.Body.Content(netSchema)
	l.diags = append(l.diags, diags...)
	n := plan.Net{Device: blk.Labels[0], Bridge: blk.Labels[0]}
	nd := netDecl{def: blk.DefRange, bridge: blk.LabelRanges[0]}
	if a, ok := content.Attributes["bridge"]; ok {
		nd.bridge = a.Expr.Range()
		if s, ok := l.str(a, ctx); ok {
			n.Bridge = s
		}
	}
	if p := ifNameProblem(n.Bridge); p != "" {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid bridge name",
			Detail:   fmt.Sprintf("The bridge %q of net device %q is not a valid interface name: %s.", n.Bridge, n.Device, p),
			Subject:  rangePtr(nd.bridge),
		})
	}
	if a, ok := content.Attributes["mac"]; ok {
		nd.mac = rangePtr(a.Expr.Range())
		if s, ok := l.str(a, ctx); ok {
			hw, err := net.ParseMAC(s)
			switch {
			case err != nil || len(hw) != 6 || strings.Count(s, ":") != 5:
				l.invalid(a, "Invalid MAC address", "%q is not a MAC address; write six hexadecimal bytes separated by colons, such as \"02:00:00:00:00:01\".", s)
			case hw[0]&1 == 1:
				l.invalid(a, "Invalid MAC address", "%s is a multicast address; a net device needs a unicast one (the lowest bit of the first byte clear).", hw)
			default:
				n.MAC = hw.String()
			}
		}
	}
	if n.MAC == "" && nd.mac == nil {
		n.MAC = DefaultMAC(n.Device, u.Name)
	}
	u.Nets = append(u.Nets, n)
	u.nets = append(u.nets, nd)
}

func (l *loader) decodeAttachment(u *unikernelDecl, blk *hcl.Block, ctx *hcl.EvalContext) {
	content, diags := blk.Body.Content(attachSchema)
	l.diags = append(l.diags, diags...)
	att := plan.BlockAttachment{Device: blk.Labels[0], Block: blk.Labels[0], SectorSize: plan.DefaultSectorSize}
	ad := attachDecl{def: blk.DefRange, device: blk.LabelRanges[0]}
	if a, ok := content.Attributes["device"]; ok {
		ad.device = a.Expr.Range()
		if s, ok := l.str(a, ctx); ok {
			att.Block = s
		}
	}
	if a, ok := content.Attributes["sector_size"]; ok {
		if n, ok := l.integer(a, ctx, 512, maxSectorSize, "sector size"); ok {
			if n&(n-1) != 0 {
				l.invalid(a, "Invalid sector size", "The sector size %d is not a power of two. Solo5 takes 512, 1024, 2048, 4096, ... up to %d.", n, maxSectorSize)
			} else {
				att.SectorSize = int(n)
			}
		}
	}
	u.Blocks = append(u.Blocks, att)
	u.blocks = append(u.blocks, ad)
}

func (l *loader) decodeRestart(u *unikernelDecl, blk *hcl.Block, ctx *hcl.EvalContext) {
	content, diags := blk.Body.Content(restartSchema)
	l.diags = append(l.diags, diags...)
	r := &u.Restart
	if a, ok := content.Attributes["policy"]; ok {
		if s, ok := l.str(a, ctx); ok {
			switch s {
			case plan.RestartAlways, plan.RestartOnFailure, plan.RestartNever:
				r.Policy = s
			default:
				l.invalid(a, "Invalid restart policy", "%q is not a restart policy; use \"always\", \"on-failure\" or \"never\".", s)
			}
		}
	}
	if a, ok := content.Attributes["exit_codes"]; ok {
		if codes, ok := l.integers(a, ctx, 0, 255, "exit code"); ok {
			if r.Policy != plan.RestartOnFailure && len(codes) > 0 {
				l.invalid(a, "Exit codes without on-failure", "exit_codes chooses which failures restart under the \"on-failure\" policy; with policy %q it would be ignored.", r.Policy)
			}
			r.ExitCodes = codes
		}
	}
	if a, ok := content.Attributes["backoff"]; ok {
		if d, ok := l.duration(a, ctx, false); ok {
			r.Backoff = plan.Duration(d)
		}
	}
	if a, ok := content.Attributes["max_backoff"]; ok {
		if d, ok := l.duration(a, ctx, false); ok {
			r.MaxBackoff = plan.Duration(d)
			if r.MaxBackoff < r.Backoff {
				l.invalid(a, "Invalid max_backoff", "max_backoff (%s) is shorter than backoff (%s); the delay starts at backoff and doubles up to max_backoff.", r.MaxBackoff, r.Backoff)
			}
		}
	}
}
