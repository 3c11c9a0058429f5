package albatross

import (
	"fmt"
	"net"
)

// State is a decoded albatross state dump.
type State struct {
	// Tag is the dump's outer choice (0 to 6, see the package comment) and
	// ConfigVersion the unikernel config grammar it selects (0 to 5).
	Tag           int
	ConfigVersion int
	Unikernels    []Unikernel // in the dump's order
	Policies      []Policy
}

// Unikernel is one entry of the dump, albatross's Unikernel.config.
type Unikernel struct {
	Name Name
	Typ  string // "solo5" or "bhyve"
	// Compressed says Image is zlib-compressed (albatross's Vmm_compress).
	Compressed bool
	Image      []byte
	Fail       FailBehaviour
	// Startup is the startup priority (config v4 on), nil when unset.
	Startup *int
	// AddName: albatross passes --name=<name> to the unikernel (true for
	// every config before v4).
	AddName bool
	CPUIDs  []int
	Memory  int // MB
	Blocks  []BlockDevice
	Bridges []Bridge
	// Argv is nil when the dump has no arguments.
	Argv []string
	// NumCPUs (v5, default 1) and LinuxBootPartition (v5, bhyve) are kept
	// for completeness.
	NumCPUs            int
	LinuxBootPartition string
}

// FailBehaviour is what albatross does when the unikernel exits: quit, or
// restart on the listed exit codes (on any exit code when ExitCodes is
// empty).
type FailBehaviour struct {
	Restart   bool
	ExitCodes []int
}

// BlockDevice is a block device: Name is the Solo5 device name in the
// image's manifest, Device the block's name in albatross (Name when
// empty), SectorSize nil when unset.
type BlockDevice struct {
	Name       string
	Device     string
	SectorSize *int
}

// BlockName is the name of the block in albatross: Device, or Name.
func (b BlockDevice) BlockName() string {
	if b.Device != "" {
		return b.Device
	}
	return b.Name
}

// Bridge is a network interface: Name is the Solo5 device name, Bridge the
// host bridge (Name when empty), MAC nil when albatross derives it.
type Bridge struct {
	Name   string
	Bridge string
	MAC    net.HardwareAddr
}

// HostBridge is the host bridge: Bridge, or Name.
func (b Bridge) HostBridge() string {
	if b.Bridge != "" {
		return b.Bridge
	}
	return b.Name
}

// Policy is a resource policy for a path (roost has none; reported only).
type Policy struct {
	Name       Name
	CPUIDs     []int
	Unikernels int
	Memory     int
	Block      *int
	Bridges    []string
}

// configVersion maps the outer choice to the unikernel config grammar.
var configVersion = map[int]int{0: 1, 1: 0, 2: 2, 3: 3, 4: 3, 5: 4, 6: 5}

// DecodeState decodes a state dump. Errors are *DecodeError.
func DecodeState(b []byte) (*State, error) {
	r := reader{b: b}
	e, err := r.next()
	if err != nil {
		return nil, err
	}
	if err := r.done("state"); err != nil {
		return nil, err
	}
	if e.tag&0xe0 != tagContext {
		return nil, malformed(e.off, "state: tag 0x%02x, want a context tag [0] to [6]", e.tag)
	}
	tag := int(e.tag & 0x1f)
	cv, ok := configVersion[tag]
	if !ok {
		return nil, &DecodeError{Offset: e.off, Msg: fmt.Sprintf("state version [%d] is not one roost reads (it reads [0] to [6])", tag), Err: ErrUnsupported}
	}
	st := &State{Tag: tag, ConfigVersion: cv}
	body := e.body
	unis := &body
	var pair reader
	if tag >= 4 {
		p, err := body.expect("state", tagSequence)
		if err != nil {
			return nil, err
		}
		if err := body.done("state"); err != nil {
			return nil, err
		}
		pair = p.body
		unis = &pair
	}
	err = unis.list("unikernels", func(it *reader) error {
		ent, err := it.expect("unikernel entry", tagSequence)
		if err != nil {
			return err
		}
		name, err := ent.body.name("unikernel name")
		if err != nil {
			return err
		}
		u, err := decodeConfig(&ent.body, cv)
		if err != nil {
			return err
		}
		u.Name = name
		st.Unikernels = append(st.Unikernels, *u)
		return ent.body.done("unikernel entry")
	})
	if err != nil {
		return nil, err
	}
	if tag >= 4 {
		err = pair.list("policies", func(it *reader) error {
			ent, err := it.expect("policy entry", tagSequence)
			if err != nil {
				return err
			}
			p, err := decodePolicy(&ent.body)
			if err != nil {
				return err
			}
			st.Policies = append(st.Policies, *p)
			return ent.body.done("policy entry")
		})
		if err != nil {
			return nil, err
		}
		if err := pair.done("state"); err != nil {
			return nil, err
		}
	} else if err := body.done("state"); err != nil {
		return nil, err
	}
	return st, nil
}

func decodePolicy(r *reader) (*Policy, error) {
	name, err := r.name("policy name")
	if err != nil {
		return nil, err
	}
	p := &Policy{Name: name}
	s, err := r.expect("policy", tagSequence)
	if err != nil {
		return nil, err
	}
	b := &s.body
	if p.CPUIDs, err = b.ints("policy cpuids"); err != nil {
		return nil, err
	}
	if p.Unikernels, err = b.integer("policy unikernels"); err != nil {
		return nil, err
	}
	if p.Memory, err = b.integer("policy memory"); err != nil {
		return nil, err
	}
	if b.peek() == tagInt {
		n, err := b.integer("policy block")
		if err != nil {
			return nil, err
		}
		p.Block = &n
	}
	if p.Bridges, err = b.strings("policy bridges"); err != nil {
		return nil, err
	}
	return p, b.done("policy")
}

// name reads a UTF8String name as albatross's Name.of_string parses it.
func (r *reader) name(what string) (Name, error) {
	off := r.off()
	s, err := r.utf8(what)
	if err != nil {
		return Name{}, err
	}
	n, err := ParseName(s)
	if err != nil {
		return Name{}, malformed(off, "%s %q: %v", what, s, err)
	}
	return n, nil
}
