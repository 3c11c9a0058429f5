package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/renameio/v2"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
)

// fakeHost is a recording host for the testscripts, in the manner of
// apply's fakeHost (apply/fakehost_test.go): it keeps a host, changes it
// as asked and writes a transcript of what it was asked, one operation a
// line. Each `exec roost` of a script is another process, so the state
// lives in fakeState's JSON file (fakehost.json in the data directory),
// read and written by every operation. It never touches the real host;
// only its lock is a real flock on the data directory's roost.lock.
type fakeHost struct {
	mu    sync.Mutex // serializes the read-change-write of the state file
	dbdir datadir.Dir
	path  string
}

// fakeState is the fake host, as fakehost.json holds it.
type fakeState struct {
	BootID     string                            `json:"boot_id"`
	Host       plan.HostInfo                     `json:"host"`
	Bridges    map[string]plan.ObservedBridge    `json:"bridges"`
	Taps       map[string]plan.ObservedTap       `json:"taps"`
	TapStats   map[string]platform.TapStats      `json:"tap_stats"`
	Blocks     map[string]plan.ObservedBlock     `json:"blocks"`
	Images     map[string]bool                   `json:"images"`
	Unikernels map[string]plan.ObservedUnikernel `json:"unikernels"`
	// NoTender are the tenders missing, by target ("hvt") or TenderKey
	// ("hvt.2").
	NoTender map[string]bool `json:"no_tender"`
	// TenderDir, when set, makes FindTender look for real tender
	// binaries there (and nowhere else) and run their --version, as the
	// platform host does: for scripts about tenders that misbehave.
	TenderDir string `json:"tender_dir,omitempty"`
	// Fail maps a transcript line to the error its operation returns.
	Fail    map[string]string `json:"fail"`
	NextPID int               `json:"next_pid"`
	// Seeded counts the changes the fakehost script command made, so
	// that WatchDrift can report them as drift.
	Seeded int      `json:"seeded"`
	Log    []string `json:"log"`
}

func newFakeState() *fakeState {
	return &fakeState{
		BootID:     "boot-1",
		Host:       plan.HostInfo{CPUs: []int{0, 1}, MemoryMiB: 4096, DiskFreeBytes: 100000 << 20},
		Bridges:    map[string]plan.ObservedBridge{},
		Taps:       map[string]plan.ObservedTap{},
		TapStats:   map[string]platform.TapStats{},
		Blocks:     map[string]plan.ObservedBlock{},
		Images:     map[string]bool{},
		Unikernels: map[string]plan.ObservedUnikernel{},
		NoTender:   map[string]bool{},
		Fail:       map[string]string{},
		NextPID:    1000,
	}
}

func fakeStatePath(dbdir string) string { return filepath.Join(dbdir, "fakehost.json") }

// newFakeHost opens the fake host of o.DBDir; it has the newHostFunc type.
func newFakeHost(o hostOptions) (host, error) {
	return &fakeHost{dbdir: o.DBDir, path: fakeStatePath(string(o.DBDir))}, nil
}

// loadFakeState reads the state at path; a missing file is a new host.
func loadFakeState(path string) (*fakeState, error) {
	st := newFakeState()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read fake host: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("read fake host %s: %w", path, err)
	}
	return st, nil
}

// save writes the state atomically, so that a roost watch running in the
// background never reads half of it.
func (st *fakeState) save(path string) error {
	// The fake keeps its state in a data directory made as roost makes
	// one, so that roost takes it as its own.
	if err := datadir.Dir(filepath.Dir(path)).Init(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(path, append(b, '\n'), 0o600)
}

// update reads the state, lets change change it, and writes it back
// unless change failed.
func (f *fakeHost) update(change func(st *fakeState) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := loadFakeState(f.path)
	if err != nil {
		return err
	}
	if err := change(st); err != nil {
		return err
	}
	return st.save(f.path)
}

// op records line in the transcript, then fails as configured for line
// or makes change.
func (f *fakeHost) op(line string, change func(st *fakeState) error) error {
	var opErr error
	err := f.update(func(st *fakeState) error {
		st.Log = append(st.Log, line)
		if msg, ok := st.Fail[line]; ok {
			opErr = errors.New(msg)
			return nil // the transcript keeps the attempt
		}
		if change != nil {
			opErr = change(st)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return opErr
}

func (f *fakeHost) read() (*fakeState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return loadFakeState(f.path)
}

func (f *fakeHost) Observe(ctx context.Context) (*plan.Observed, error) {
	st, err := f.read()
	if err != nil {
		return nil, err
	}
	return &plan.Observed{
		BootID:     st.BootID,
		Host:       st.Host,
		Bridges:    st.Bridges,
		Taps:       st.Taps,
		Blocks:     st.Blocks,
		Unikernels: st.Unikernels,
		Images:     st.Images,
		Tenders:    map[string]plan.TenderLookup{},
	}, nil
}

// FindShim finds the fake's roost-shim.
func (f *fakeHost) FindShim(ctx context.Context) plan.TenderLookup {
	return plan.TenderLookup{Path: "/fake/bin/roost-shim", Version: "roost-shim protocol 1"}
}

func (f *fakeHost) FindTender(ctx context.Context, target string, abi uint32) plan.TenderLookup {
	st, err := f.read()
	if err != nil {
		return plan.TenderLookup{Err: err.Error()}
	}
	if st.TenderDir != "" {
		t, ok := solo5.ParseTarget(target)
		if !ok {
			return plan.TenderLookup{Err: fmt.Sprintf("unknown Solo5 target %q", target)}
		}
		finder := &platform.TenderFinder{Dirs: []string{st.TenderDir}, NoPath: true}
		tender, err := finder.Find(ctx, t, abi)
		if err != nil {
			return plan.TenderLookup{Err: err.Error()}
		}
		return plan.TenderLookup{Path: tender.Path, Version: tender.Version}
	}
	if st.NoTender[target] || st.NoTender[plan.TenderKey(target, abi)] {
		return plan.TenderLookup{Err: fmt.Sprintf("no solo5-%s.%d or solo5-%s speaking ABI version %d on the fake host", target, abi, target, abi)}
	}
	return plan.TenderLookup{Path: "/fake/bin/solo5-" + target, Version: "solo5-" + target + " fake"}
}

func (f *fakeHost) CreateBridge(ctx context.Context, b plan.Bridge) error {
	return f.op("create bridge "+b.Name, func(st *fakeState) error {
		if old, ok := st.Bridges[b.Name]; ok && !old.Owned {
			return nil // existed before roost: used as it is
		}
		st.Bridges[b.Name] = fakeBridge(b)
		return nil
	})
}

func fakeBridge(b plan.Bridge) plan.ObservedBridge {
	mtu := b.MTU
	if mtu == 0 {
		mtu = 1500
	}
	return plan.ObservedBridge{Name: b.Name, Owned: true, Addresses: b.Addresses, MTU: mtu, Up: true}
}

func (f *fakeHost) UpdateBridge(ctx context.Context, b plan.Bridge) error {
	return f.op("update bridge "+b.Name, func(st *fakeState) error {
		st.Bridges[b.Name] = fakeBridge(b)
		return nil
	})
}

func (f *fakeHost) DeleteBridge(ctx context.Context, name string) error {
	return f.op("delete bridge "+name, func(st *fakeState) error {
		if b, ok := st.Bridges[name]; ok && !b.Owned {
			return fmt.Errorf("delete bridge %s: roost did not create it", name)
		}
		delete(st.Bridges, name)
		return nil
	})
}

func (f *fakeHost) EnsureTap(ctx context.Context, unikernel string, n plan.SpecNet) error {
	return f.op(fmt.Sprintf("ensure tap %s %s:%s on %s", n.Tap, unikernel, n.Device, n.Bridge), func(st *fakeState) error {
		if _, ok := st.Bridges[n.Bridge]; !ok {
			return fmt.Errorf("attach tap %s to bridge %s: no such bridge", n.Tap, n.Bridge)
		}
		st.Taps[n.Tap] = plan.ObservedTap{Name: n.Tap, Unikernel: unikernel, Device: n.Device, Master: n.Bridge, Up: true}
		return nil
	})
}

func (f *fakeHost) DeleteTap(ctx context.Context, name string) error {
	return f.op("delete tap "+name, func(st *fakeState) error {
		delete(st.Taps, name)
		delete(st.TapStats, name)
		return nil
	})
}

func (f *fakeHost) CreateBlock(ctx context.Context, b plan.Block) error {
	return f.op(fmt.Sprintf("create block %s %d MiB", b.Name, b.SizeMiB), func(st *fakeState) error {
		st.Blocks[b.Name] = plan.ObservedBlock{Name: b.Name, SizeBytes: b.SizeMiB << 20}
		return f.blockFile(b.Name, b.SizeMiB<<20)
	})
}

func (f *fakeHost) ResizeBlock(ctx context.Context, name string, size int64) error {
	return f.op(fmt.Sprintf("resize block %s %d MiB", name, size>>20), func(st *fakeState) error {
		st.Blocks[name] = plan.ObservedBlock{Name: name, SizeBytes: size}
		return f.blockFile(name, size)
	})
}

func (f *fakeHost) DeleteBlock(ctx context.Context, name string) error {
	return f.op("delete block "+name, func(st *fakeState) error {
		delete(st.Blocks, name)
		if err := os.Remove(f.dbdir.Block(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
}

// blockFile makes the block name a sparse file of size bytes in the data
// directory, as the platform does, for the block commands, which read
// and write the files themselves.
func (f *fakeHost) blockFile(name string, size int64) error {
	if err := f.dbdir.Init(); err != nil {
		return err
	}
	bf, err := os.OpenFile(f.dbdir.Block(name), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := bf.Truncate(size); err != nil {
		bf.Close()
		return err
	}
	return bf.Close()
}

// StoreImage is not recorded, as in apply's fake: every start stores its
// image.
func (f *fakeHost) StoreImage(ctx context.Context, src, sha string) (string, error) {
	if _, err := os.Stat(src); err != nil {
		return "", fmt.Errorf("store image: %w", err)
	}
	err := f.update(func(st *fakeState) error {
		st.Images[sha] = true
		return nil
	})
	return f.dbdir.Image(sha), err
}

func (f *fakeHost) PruneImages(ctx context.Context, keep map[string]bool) error {
	return f.update(func(st *fakeState) error {
		var gone []string
		for d := range st.Images {
			if !keep[d] {
				gone = append(gone, d)
			}
		}
		sort.Strings(gone)
		for _, d := range gone {
			delete(st.Images, d)
			st.Log = append(st.Log, "prune image "+d[:8])
		}
		return nil
	})
}

func (f *fakeHost) StartUnikernel(ctx context.Context, s *plan.Spec) error {
	return f.op("start "+s.Name, func(st *fakeState) error {
		shim, tender := st.NextPID, st.NextPID+1
		st.NextPID += 2
		now := time.Now().UTC()
		st.Unikernels[s.Name] = plan.ObservedUnikernel{Name: s.Name, Spec: s, ShimAlive: true, TenderAlive: true,
			Status: &plan.Status{State: plan.StateRunning, ShimPID: shim, BootID: st.BootID, TenderPID: tender,
				StartedAt: now, UpdatedAt: now}}
		return nil
	})
}

func (f *fakeHost) VerifyUnikernel(ctx context.Context, name string, window time.Duration) error {
	return f.op("verify "+name, nil)
}

func (f *fakeHost) UpdateUnikernel(ctx context.Context, s *plan.Spec) error {
	return f.op("update "+s.Name, func(st *fakeState) error {
		u := st.Unikernels[s.Name]
		u.Spec = s
		// A live shim reloads spec.json: it is never stale here.
		u.SpecStale = false
		st.Unikernels[s.Name] = u
		return nil
	})
}

func (f *fakeHost) StopUnikernel(ctx context.Context, name string, timeout time.Duration) error {
	return f.op("stop "+name, func(st *fakeState) error {
		u, ok := st.Unikernels[name]
		if !ok {
			return nil
		}
		u.ShimAlive, u.TenderAlive = false, false
		restarts := 0
		if u.Status != nil {
			restarts = u.Status.Restarts
		}
		u.Status = &plan.Status{State: plan.StateStopped, BootID: st.BootID, Restarts: restarts,
			LastExit: &plan.Exit{At: time.Now().UTC(), Stopped: true}}
		st.Unikernels[name] = u
		return nil
	})
}

func (f *fakeHost) RemoveUnikernel(ctx context.Context, name string) error {
	return f.op("remove "+name, func(st *fakeState) error {
		delete(st.Unikernels, name)
		return nil
	})
}

func (f *fakeHost) TapStats(name string) (platform.TapStats, error) {
	st, err := f.read()
	if err != nil {
		return platform.TapStats{}, err
	}
	if _, ok := st.Taps[name]; !ok {
		return platform.TapStats{}, fmt.Errorf("tap %s: %w", name, fs.ErrNotExist)
	}
	return st.TapStats[name], nil
}

// ProcessStats gives a live tender its memory as RSS and a quarter of a
// second of CPU time.
func (f *fakeHost) ProcessStats(pid int) (platform.ProcStats, error) {
	st, err := f.read()
	if err != nil {
		return platform.ProcStats{}, err
	}
	for _, u := range st.Unikernels {
		if u.TenderAlive && u.Status != nil && u.Status.TenderPID == pid && u.Spec != nil {
			return platform.ProcStats{RSSBytes: int64(u.Spec.MemoryMiB) << 20, CPUTime: 250 * time.Millisecond}, nil
		}
	}
	return platform.ProcStats{}, fmt.Errorf("process %d: %w", pid, fs.ErrNotExist)
}

// WatchDrift reports every change the fakehost script command makes
// (a shim killed, a tender exited, a bridge removed) as shim drift.
func (f *fakeHost) WatchDrift(ctx context.Context, out chan<- platform.Drift) (func(), error) {
	st, err := f.read()
	if err != nil {
		return nil, err
	}
	seen := st.Seeded
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			st, err := f.read()
			if err != nil || st.Seeded == seen {
				continue
			}
			seen = st.Seeded
			select {
			case out <- platform.Drift{Kind: "shim", Message: "the fake host changed"}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {}, nil
}

func (f *fakeHost) Lock(ctx context.Context, exclusive bool, timeout time.Duration) (func(), error) {
	return platform.Lock(ctx, f.dbdir, exclusive, timeout)
}

func (f *fakeHost) Close() error { return nil }

// show is the state for people and scripts: one line a thing, sorted,
// without pids or times.
func (st *fakeState) show() string {
	var b strings.Builder
	cpus := make([]string, len(st.Host.CPUs))
	for i, c := range st.Host.CPUs {
		cpus[i] = fmt.Sprint(c)
	}
	fmt.Fprintf(&b, "host cpus=%s memory=%dMiB disk=%dMiB\n", strings.Join(cpus, ","), st.Host.MemoryMiB, st.Host.DiskFreeBytes>>20)
	for _, k := range sortedKeys(st.NoTender) {
		fmt.Fprintf(&b, "no tender %s\n", k)
	}
	for _, k := range sortedKeys(st.Bridges) {
		br := st.Bridges[k]
		owner := "pre-existing"
		if br.Owned {
			owner = "owned"
		}
		fmt.Fprintf(&b, "bridge %s %s mtu=%d", k, owner, br.MTU)
		for _, a := range br.Addresses {
			fmt.Fprintf(&b, " %s", a)
		}
		b.WriteString("\n")
	}
	for _, k := range sortedKeys(st.Taps) {
		t := st.Taps[k]
		fmt.Fprintf(&b, "tap %s %s:%s on %s\n", k, t.Unikernel, t.Device, t.Master)
	}
	for _, k := range sortedKeys(st.Blocks) {
		fmt.Fprintf(&b, "block %s %d MiB\n", k, st.Blocks[k].SizeBytes>>20)
	}
	fmt.Fprintf(&b, "images %d\n", len(st.Images))
	for _, k := range sortedKeys(st.Unikernels) {
		u := st.Unikernels[k]
		state := "no status"
		if u.Status != nil {
			state = string(u.Status.State)
		}
		shim := "shim gone"
		if u.ShimAlive {
			shim = "shim alive"
		}
		fmt.Fprintf(&b, "unikernel %s %s, %s", k, state, shim)
		if s := u.Spec; s != nil {
			fmt.Fprintf(&b, ", memory=%d restart=%s", s.MemoryMiB, s.Restart.Policy)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (f *fakeHost) MoveBlock(ctx context.Context, from, to string) error {
	return f.op("move block "+from+" "+to, func(st *fakeState) error {
		return moveEntry(st.Blocks, from, to, func(b *plan.ObservedBlock) error { b.Name = to; return nil })
	})
}

func (f *fakeHost) MoveUnikernel(ctx context.Context, from, to string) error {
	return f.op("move unikernel "+from+" "+to, func(st *fakeState) error {
		return moveEntry(st.Unikernels, from, to, func(u *plan.ObservedUnikernel) error {
			if u.ShimAlive {
				return fmt.Errorf("move unikernel %s: %w", from, platform.ErrShimRunning)
			}
			u.Name = to
			return nil
		})
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
