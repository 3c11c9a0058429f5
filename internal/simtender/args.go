package simtender

// The tender's command-line arguments, as solo5-hvt and solo5-spt parse
// them: memory, the modules' --net: and --block: options, and the devices
// they attach.

import (
	"io"
	"os"
	"strings"

	"github.com/roostd/roost/platform/solo5"
)

func (t *tender) handleMem(arg string) error {
	v, ok := scanInt(strings.TrimPrefix(arg, "--mem="))
	// size_t arithmetic, as in handle_mem; a negative size is refused here
	// where solo5-hvt would fail later to allocate it.
	if !ok || v <= 0 || uint64(v)<<20 == 0 {
		return t.errx(1, "Malformed argument to --mem")
	}
	t.memBytes = uint64(v) << 20
	return nil
}

// handleCmdarg offers arg to the modules in link order, as handle_cmdarg in
// hvt_main.c and spt_main.c does. It reports whether one took it; err is
// set when a module ended the tender.
func (t *tender) handleCmdarg(arg string) (bool, error) {
	handlers := []func(string) (bool, error){t.blockCmdarg, t.netCmdarg}
	if t.target == solo5.SPT {
		handlers = []func(string) (bool, error){t.sptCoreCmdarg, t.netCmdarg, t.blockCmdarg}
	}
	for _, h := range handlers {
		ok, err := h(arg)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func (t *tender) sptCoreCmdarg(arg string) (bool, error) {
	if !strings.HasPrefix(arg, "--x-exec-heap") {
		return false, nil
	}
	t.warnx("WARNING: The use of --x-exec-heap is dangerous and not recommended as it makes the heap and stack executable.")
	t.execHeap = true
	return true, nil
}

func (t *tender) netCmdarg(arg string) (bool, error) {
	if rest, ok := strings.CutPrefix(arg, "--net:"); ok {
		name, iface, ok := scanNet(rest)
		if !ok {
			return false, nil
		}
		d := t.lookup(name, solo5.NetBasic)
		if d == nil {
			t.warnx("Resource not declared in manifest: '%s'", name)
			return false, nil
		}
		f, mtu, err := tapAttach(iface)
		if err != nil {
			t.warnx("Could not attach interface: %s: %s", iface, strerror(err))
			return false, nil
		}
		if d.file != nil {
			d.file.Close()
		}
		d.file, d.iface, d.mtu, d.attached = f, iface, mtu, true
		return true, nil
	}
	if rest, ok := strings.CutPrefix(arg, "--net-mac:"); ok {
		name, mac, ok := scanNetMAC(rest)
		if !ok {
			return false, nil
		}
		d := t.lookup(name, solo5.NetBasic)
		if d == nil {
			t.warnx("Resource not declared in manifest: '%s'", name)
			return false, nil
		}
		d.mac, d.hasMAC = mac, true
		return true, nil
	}
	return false, nil
}

func (t *tender) blockCmdarg(arg string) (bool, error) {
	if rest, ok := strings.CutPrefix(arg, "--block:"); ok {
		name, path, ok := scanBlock(rest)
		if !ok {
			return false, nil
		}
		d := t.lookup(name, solo5.BlockBasic)
		if d == nil {
			t.warnx("Resource not declared in manifest: '%s'", name)
			return false, nil
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return false, t.err(1, err, "Could not open block device: %s", path)
		}
		capacity, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			f.Close()
			return false, t.err(1, err, "%s: Could not determine capacity", path)
		}
		if d.file != nil {
			d.file.Close()
		}
		d.file, d.path, d.capacity, d.attached = f, path, capacity, true
		return true, nil
	}
	if rest, ok := strings.CutPrefix(arg, "--block-sector-size:"); ok {
		name, size, ok := scanSectorSize(rest)
		if !ok {
			return false, nil
		}
		if size < 512 || size&(size-1) != 0 {
			t.warnx("Block size must be a multiple of 2 greater than or equal 512")
			return false, nil
		}
		d := t.lookup(name, solo5.BlockBasic)
		if d == nil {
			t.warnx("Resource not declared in manifest: '%s'", name)
			return false, nil
		}
		d.sectorSize = size
		return true, nil
	}
	return false, nil
}

func (t *tender) lookup(name string, typ solo5.DeviceType) *device {
	for _, d := range t.devices {
		if d.Type == typ && d.Name == name {
			return d
		}
	}
	return nil
}

// setupModules does what the modules' setup functions check, in link
// order, then refuses declared devices that were not attached.
func (t *tender) setupModules() error {
	steps := []func() error{t.setupBlock, t.setupNet}
	if t.target == solo5.SPT {
		steps = []func() error{t.setupNet, t.setupBlock}
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	fail := false
	for _, d := range t.devices {
		if !d.attached {
			t.warnx("Device '%s' of type %s declared but not attached.", d.Name, d.Type)
			fail = true
		}
	}
	if fail {
		return t.errx(1, "All declared devices must be attached. See --help for syntax.")
	}
	return nil
}

func (t *tender) setupBlock() error {
	for _, d := range t.devices {
		if d.Type != solo5.BlockBasic || !d.attached {
			continue
		}
		if d.sectorSize == 0 {
			d.sectorSize = 512
		}
		bs := int64(d.sectorSize)
		if d.capacity&(bs-1) != 0 {
			return t.errx(1, "%s: Backing storage size must be block aligned (%d bytes)", d.Name, bs)
		}
		if d.capacity < bs {
			return t.errx(1, "%s: Backing storage must be at least 1 block (%d bytes) in size", d.Name, bs)
		}
	}
	return nil
}

func (t *tender) setupNet() error {
	for _, d := range t.devices {
		if d.Type == solo5.NetBasic && d.attached && !d.hasMAC {
			// Solo5 draws a random locally administered address; the
			// simulator derives one, so that tests can predict it.
			d.mac = derivedMAC(d.Name, d.iface)
		}
	}
	return nil
}
