package apply_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/roostd/roost/plan"
)

// fakeHost is a recording Host: it keeps a host in memory, changes it as
// asked, and writes a transcript of what it was asked. Its String is the
// transcript, one operation per line.
type fakeHost struct {
	mu       sync.Mutex // guards all following fields
	obs      *plan.Observed
	log      []string
	failOn   map[string]error // operation line -> error to return
	running  int              // operations in flight
	maxInFly int
	delay    time.Duration
}

func newFakeHost() *fakeHost {
	return &fakeHost{
		obs: &plan.Observed{
			BootID:     "boot-1",
			Host:       plan.HostInfo{CPUs: []int{0, 1}, MemoryMiB: 4096, DiskFreeBytes: 100000 << 20},
			Bridges:    map[string]plan.ObservedBridge{},
			Taps:       map[string]plan.ObservedTap{},
			Blocks:     map[string]plan.ObservedBlock{},
			Unikernels: map[string]plan.ObservedUnikernel{},
			Images:     map[string]bool{},
		},
		failOn: map[string]error{},
	}
}

func (f *fakeHost) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.log, "\n")
}

func (f *fakeHost) lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// op records line, tracks concurrency, and returns the failure configured
// for it.
func (f *fakeHost) op(line string) error {
	f.mu.Lock()
	f.log = append(f.log, line)
	f.running++
	f.maxInFly = max(f.maxInFly, f.running)
	err := f.failOn[line]
	d := f.delay
	f.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	f.mu.Lock()
	f.running--
	f.mu.Unlock()
	return err
}

func (f *fakeHost) Observe(ctx context.Context) (*plan.Observed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := *f.obs
	o.Bridges = clone(f.obs.Bridges)
	o.Taps = clone(f.obs.Taps)
	o.Blocks = clone(f.obs.Blocks)
	o.Unikernels = clone(f.obs.Unikernels)
	o.Images = clone(f.obs.Images)
	o.Tenders = map[string]plan.TenderLookup{"hvt.2": {Path: "/usr/bin/solo5-hvt"}}
	return &o, nil
}

func clone[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (f *fakeHost) FindTender(ctx context.Context, target string, abi uint32) plan.TenderLookup {
	return plan.TenderLookup{Path: "/usr/bin/solo5-" + target}
}

func (f *fakeHost) CreateBridge(ctx context.Context, b plan.Bridge) error {
	if err := f.op("create bridge " + b.Name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.obs.Bridges[b.Name] = plan.ObservedBridge{Name: b.Name, Owned: true, Addresses: b.Addresses, MTU: 1500, Up: true}
	return nil
}

func (f *fakeHost) UpdateBridge(ctx context.Context, b plan.Bridge) error {
	if err := f.op("update bridge " + b.Name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.obs.Bridges[b.Name] = plan.ObservedBridge{Name: b.Name, Owned: true, Addresses: b.Addresses, MTU: 1500, Up: true}
	return nil
}

func (f *fakeHost) DeleteBridge(ctx context.Context, name string) error {
	if err := f.op("delete bridge " + name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.obs.Bridges, name)
	return nil
}

func (f *fakeHost) EnsureTap(ctx context.Context, unikernel string, n plan.SpecNet) error {
	if err := f.op(fmt.Sprintf("ensure tap %s %s:%s on %s", n.Tap, unikernel, n.Device, n.Bridge)); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.obs.Taps[n.Tap] = plan.ObservedTap{Name: n.Tap, Unikernel: unikernel, Device: n.Device, Master: n.Bridge, Up: true}
	return nil
}

func (f *fakeHost) DeleteTap(ctx context.Context, name string) error {
	if err := f.op("delete tap " + name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.obs.Taps, name)
	return nil
}

func (f *fakeHost) CreateBlock(ctx context.Context, b plan.Block) error {
	if err := f.op(fmt.Sprintf("create block %s %d MiB", b.Name, b.SizeMiB)); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.obs.Blocks[b.Name] = plan.ObservedBlock{Name: b.Name, SizeBytes: b.SizeMiB << 20}
	return nil
}

func (f *fakeHost) ResizeBlock(ctx context.Context, name string, size int64) error {
	if err := f.op(fmt.Sprintf("resize block %s %d MiB", name, size>>20)); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.obs.Blocks[name] = plan.ObservedBlock{Name: name, SizeBytes: size}
	return nil
}

func (f *fakeHost) DeleteBlock(ctx context.Context, name string) error {
	if err := f.op("delete block " + name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.obs.Blocks, name)
	return nil
}

func (f *fakeHost) StoreImage(ctx context.Context, src, sha string) (string, error) {
	f.mu.Lock()
	f.obs.Images[sha] = true
	f.mu.Unlock()
	return "/dbdir/images/" + sha, nil
}

func (f *fakeHost) PruneImages(ctx context.Context, keep map[string]bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for d := range f.obs.Images {
		if !keep[d] {
			delete(f.obs.Images, d)
			f.log = append(f.log, "prune image "+d[:8])
		}
	}
	return nil
}

// VerifyUnikernel is recorded but not counted as an operation in flight:
// apply waits for it outside its parallelism bound.
func (f *fakeHost) VerifyUnikernel(ctx context.Context, name string, window time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "verify "+name)
	return f.failOn["verify "+name]
}

func (f *fakeHost) StartUnikernel(ctx context.Context, s *plan.Spec) error {
	if err := f.op("start " + s.Name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.obs.Unikernels[s.Name] = plan.ObservedUnikernel{Name: s.Name, Spec: s, ShimAlive: true, TenderAlive: true,
		Status: &plan.Status{State: plan.StateRunning, BootID: f.obs.BootID}}
	return nil
}

func (f *fakeHost) UpdateUnikernel(ctx context.Context, s *plan.Spec) error {
	if err := f.op("update " + s.Name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.obs.Unikernels[s.Name]
	u.Spec = s
	f.obs.Unikernels[s.Name] = u
	return nil
}

func (f *fakeHost) StopUnikernel(ctx context.Context, name string, timeout time.Duration) error {
	if err := f.op("stop " + name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, ok := f.obs.Unikernels[name]; ok {
		u.ShimAlive, u.TenderAlive = false, false
		u.Status = &plan.Status{State: plan.StateStopped, BootID: f.obs.BootID}
		f.obs.Unikernels[name] = u
	}
	return nil
}

func (f *fakeHost) RemoveUnikernel(ctx context.Context, name string) error {
	if err := f.op("remove " + name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.obs.Unikernels, name)
	return nil
}

var errBoom = errors.New("boom")

func (f *fakeHost) MoveBlock(ctx context.Context, from, to string) error {
	if err := f.op("move block " + from + " " + to); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return moveEntry(f.obs.Blocks, from, to, func(b *plan.ObservedBlock) error { b.Name = to; return nil })
}

func (f *fakeHost) MoveUnikernel(ctx context.Context, from, to string) error {
	if err := f.op("move unikernel " + from + " " + to); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return moveEntry(f.obs.Unikernels, from, to, func(u *plan.ObservedUnikernel) error {
		if u.ShimAlive {
			return fmt.Errorf("move unikernel %s: shim is running", from)
		}
		u.Name = to
		return nil
	})
}

// moveEntry renames from to to in m as the platform renames files: an
// existing to is refused, a from gone with to there was moved already.
func moveEntry[V any](m map[string]V, from, to string, fix func(*V) error) error {
	v, ok := m[from]
	_, exists := m[to]
	switch {
	case !ok && exists:
		return nil
	case !ok:
		return fmt.Errorf("move %s to %s: %s does not exist", from, to, from)
	case exists:
		return fmt.Errorf("move %s to %s: %s exists", from, to, to)
	}
	if err := fix(&v); err != nil {
		return err
	}
	delete(m, from)
	m[to] = v
	return nil
}
