package albatross

import (
	"net"
)

// decodeConfig reads one unikernel config (a SEQUENCE, v1 on; v0 too) of
// config version v from r.
func decodeConfig(r *reader, v int) (*Unikernel, error) {
	s, err := r.expect("unikernel config", tagSequence)
	if err != nil {
		return nil, err
	}
	b := &s.body
	if v == 0 {
		return decodeConfigV0(b)
	}
	u := &Unikernel{AddName: true, NumCPUs: 1}
	if u.Typ, err = b.typ(); err != nil {
		return nil, err
	}
	if u.Compressed, err = b.boolean("compressed"); err != nil {
		return nil, err
	}
	if u.Image, err = b.octets("image"); err != nil {
		return nil, err
	}
	if v >= 4 {
		if b.peek() == tagInt {
			n, err := b.integer("startup")
			if err != nil {
				return nil, err
			}
			u.Startup = &n
		}
		if u.AddName, err = b.boolean("add_name"); err != nil {
			return nil, err
		}
	}
	if u.Fail, err = b.failBehaviour(); err != nil {
		return nil, err
	}
	if v >= 5 {
		if u.CPUIDs, err = b.ints("cpuids"); err != nil {
			return nil, err
		}
	} else {
		c, err := b.integer("cpuid")
		if err != nil {
			return nil, err
		}
		u.CPUIDs = []int{c}
	}
	if u.Memory, err = b.integer("memory"); err != nil {
		return nil, err
	}
	if b.peek() == tagContext|0 {
		x, _ := b.explicit("blocks", 0)
		err := x.list("blocks", func(it *reader) error {
			if v <= 2 {
				n, err := it.utf8("block name")
				u.Blocks = append(u.Blocks, BlockDevice{Name: n})
				return err
			}
			d, err := it.block()
			u.Blocks = append(u.Blocks, d)
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := x.done("blocks"); err != nil {
			return nil, err
		}
	}
	if b.peek() == tagContext|1 {
		x, _ := b.explicit("bridges", 1)
		err := x.list("bridges", func(it *reader) error {
			if v == 1 {
				n, err := it.utf8("bridge name")
				u.Bridges = append(u.Bridges, Bridge{Name: n})
				return err
			}
			br, err := it.bridge(v >= 3)
			u.Bridges = append(u.Bridges, br)
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := x.done("bridges"); err != nil {
			return nil, err
		}
	}
	if b.peek() == tagContext|2 {
		x, _ := b.explicit("arguments", 2)
		if u.Argv, err = x.strings("arguments"); err != nil {
			return nil, err
		}
		if err := x.done("arguments"); err != nil {
			return nil, err
		}
	}
	if v >= 5 {
		if b.peek() == tagContext|3 {
			x, _ := b.explicit("cpus", 3)
			if u.NumCPUs, err = x.integer("cpus"); err != nil {
				return nil, err
			}
			if err := x.done("cpus"); err != nil {
				return nil, err
			}
		}
		if b.peek() == tagContext|4 {
			x, _ := b.explicit("linux_boot_partition", 4)
			if u.LinuxBootPartition, err = x.utf8("linux_boot_partition"); err != nil {
				return nil, err
			}
			if err := x.done("linux_boot_partition"); err != nil {
				return nil, err
			}
		}
	}
	return u, b.done("unikernel config")
}

// decodeConfigV0 reads albatross's oldest grammar: cpu, memory, an
// optional block, optional network interfaces, the image as a choice of
// target, optional arguments.
func decodeConfigV0(b *reader) (*Unikernel, error) {
	u := &Unikernel{Typ: "solo5", AddName: true, NumCPUs: 1}
	c, err := b.integer("cpu")
	if err != nil {
		return nil, err
	}
	u.CPUIDs = []int{c}
	if u.Memory, err = b.integer("memory"); err != nil {
		return nil, err
	}
	if b.peek() == tagUTF8 {
		n, err := b.utf8("block")
		if err != nil {
			return nil, err
		}
		u.Blocks = []BlockDevice{{Name: n}}
	}
	if b.peek() == tagSequence {
		ns, err := b.strings("network-interfaces")
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			u.Bridges = append(u.Bridges, Bridge{Name: n})
		}
	}
	e, err := b.next()
	if err != nil {
		return nil, err
	}
	if e.tag < tagContext || e.tag > tagContext|2 {
		return nil, malformed(e.off, "image: tag 0x%02x, want [0] to [2]", e.tag)
	}
	u.Compressed = e.tag == tagContext|2
	if u.Image, err = e.body.octets("image"); err != nil {
		return nil, err
	}
	if err := e.body.done("image"); err != nil {
		return nil, err
	}
	if b.peek() == tagSequence {
		if u.Argv, err = b.strings("arguments"); err != nil {
			return nil, err
		}
	}
	return u, b.done("unikernel config")
}

func (r *reader) typ() (string, error) {
	e, err := r.next()
	if err != nil {
		return "", err
	}
	var t string
	switch e.tag {
	case tagContext | 0:
		t = "solo5"
	case tagContext | 1:
		t = "bhyve"
	default:
		return "", malformed(e.off, "typ: tag 0x%02x, want [0] solo5 or [1] bhyve", e.tag)
	}
	if err := e.body.null("typ"); err != nil {
		return "", err
	}
	return t, e.body.done("typ")
}

func (r *reader) failBehaviour() (FailBehaviour, error) {
	e, err := r.next()
	if err != nil {
		return FailBehaviour{}, err
	}
	switch e.tag {
	case tagContext | 0:
		if err := e.body.null("fail-behaviour"); err != nil {
			return FailBehaviour{}, err
		}
		return FailBehaviour{}, e.body.done("fail-behaviour")
	case tagContext | 1:
		codes, err := e.body.ints("restart-exit-codes")
		if err != nil {
			return FailBehaviour{}, err
		}
		if len(codes) == 0 {
			codes = nil
		}
		return FailBehaviour{Restart: true, ExitCodes: codes}, e.body.done("fail-behaviour")
	}
	return FailBehaviour{}, malformed(e.off, "fail-behaviour: tag 0x%02x, want [0] quit or [1] restart", e.tag)
}

// block reads a v3 block device: name, optional device name, optional
// sector size.
func (r *reader) block() (BlockDevice, error) {
	s, err := r.expect("block", tagSequence)
	if err != nil {
		return BlockDevice{}, err
	}
	var d BlockDevice
	if d.Name, err = s.body.utf8("block-name"); err != nil {
		return d, err
	}
	if s.body.peek() == tagUTF8 {
		if d.Device, err = s.body.utf8("block-device-name"); err != nil {
			return d, err
		}
	}
	if s.body.peek() == tagInt {
		n, err := s.body.integer("block-sector-size")
		if err != nil {
			return d, err
		}
		d.SectorSize = &n
	}
	return d, s.body.done("block")
}

// bridge reads a v2 (netif, bridge) or v3 (netif, bridge, mac) bridge.
func (r *reader) bridge(withMAC bool) (Bridge, error) {
	s, err := r.expect("bridge", tagSequence)
	if err != nil {
		return Bridge{}, err
	}
	var br Bridge
	if br.Name, err = s.body.utf8("netif"); err != nil {
		return br, err
	}
	if s.body.peek() == tagUTF8 {
		if br.Bridge, err = s.body.utf8("bridge"); err != nil {
			return br, err
		}
	}
	if withMAC && s.body.peek() == tagOctets {
		off := s.body.off()
		m, err := s.body.octets("mac")
		if err != nil {
			return br, err
		}
		if len(m) != 6 {
			return br, malformed(off, "mac: %d bytes, want 6", len(m))
		}
		br.MAC = net.HardwareAddr(append([]byte(nil), m...))
	}
	return br, s.body.done("bridge")
}
