package platform_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

var _ apply.Host = (*platform.Host)(nil)

// newHost returns a Host on a fresh data directory, in the namespace the
// test runs in; tests using it touch no interface.
func newHost(t *testing.T, opts platform.Options) *platform.Host {
	t.Helper()
	if opts.DBDir == "" {
		opts.DBDir = datadir.Dir(filepath.Join(t.TempDir(), "db"))
	}
	h, err := platform.NewHost(opts)
	if err != nil {
		t.Fatalf("NewHost = %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestBlock(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, platform.Options{})
	seed := filepath.Join(t.TempDir(), "seed.img")
	// Data, a megabyte of zeros (which must stay a hole), data.
	contents := slices.Concat([]byte("head"), make([]byte, 1<<20), []byte("tail"))
	if err := os.WriteFile(seed, contents, 0o644); err != nil {
		t.Fatal(err)
	}

	if err := h.CreateBlock(ctx, plan.Block{Name: "data", SizeMiB: 64, Source: seed}); err != nil {
		t.Fatalf("CreateBlock = %v", err)
	}
	path := h.DBDir().Block("data")
	st := statBlock(t, path)
	if st.Size != 64<<20 || st.Mode&0o777 != 0o600 {
		t.Errorf("block size %d, mode %o; want %d, 0600", st.Size, st.Mode&0o777, 64<<20)
	}
	if allocated := st.Blocks * 512; allocated > 256<<10 {
		t.Errorf("block has %d bytes allocated, want it sparse", allocated)
	}
	got := readPrefix(t, path, 4<<20)
	if !bytes.Equal(got[:len(contents)], contents) || !allZero(got[len(contents):]) {
		t.Errorf("block does not start with the source followed by zeros")
	}
	if ents, _ := os.ReadDir(h.DBDir().BlockDir()); len(ents) != 1 {
		t.Errorf("block directory holds %d entries, want only the block (no temporary file)", len(ents))
	}

	// Creating again keeps the data, whatever the source says now.
	if err := os.WriteFile(path, []byte("written by the unikernel"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.CreateBlock(ctx, plan.Block{Name: "data", SizeMiB: 64, Source: seed}); err != nil {
		t.Fatalf("second CreateBlock = %v", err)
	}
	if got := readPrefix(t, path, 1<<20); string(got) != "written by the unikernel" {
		t.Errorf("second CreateBlock changed the block to %q", got[:min(len(got), 40)])
	}

	if err := h.ResizeBlock(ctx, "data", 128<<20); err != nil {
		t.Fatalf("ResizeBlock(grow) = %v", err)
	}
	if st := statBlock(t, path); st.Size != 128<<20 {
		t.Errorf("grown block size = %d, want %d", st.Size, 128<<20)
	}
	if got := readPrefix(t, path, 1<<10); !strings.HasPrefix(string(got), "written by the unikernel") {
		t.Errorf("growing lost the block's data")
	}
	if err := h.ResizeBlock(ctx, "data", 1<<20); err != nil {
		t.Fatalf("ResizeBlock(shrink) = %v", err)
	}
	if st := statBlock(t, path); st.Size != 1<<20 {
		t.Errorf("shrunk block size = %d, want %d", st.Size, 1<<20)
	}
	if err := h.ResizeBlock(ctx, "missing", 1<<20); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ResizeBlock(missing) = %v, want fs.ErrNotExist", err)
	}

	for i := range 2 {
		if err := h.DeleteBlock(ctx, "data"); err != nil {
			t.Fatalf("DeleteBlock #%d = %v", i+1, err)
		}
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after DeleteBlock, stat = %v", err)
	}
}

func TestCreateBlockWithoutSource(t *testing.T) {
	h := newHost(t, platform.Options{})
	if err := h.CreateBlock(context.Background(), plan.Block{Name: "empty", SizeMiB: 8}); err != nil {
		t.Fatalf("CreateBlock = %v", err)
	}
	st := statBlock(t, h.DBDir().Block("empty"))
	if st.Size != 8<<20 || st.Blocks != 0 {
		t.Errorf("block size %d with %d blocks allocated, want %d and none", st.Size, st.Blocks, 8<<20)
	}
	if fi, err := os.Stat(h.DBDir().BlockDir()); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("block directory: %v, %v; want mode 0700", fi, err)
	}
}

func TestCreateBlockRefuses(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, platform.Options{})
	if err := h.DBDir().Init(); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "target")
	if err := os.Symlink(target, h.DBDir().Block("link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(h.DBDir().Block("dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		b    plan.Block
	}{
		{name: "source-too-big", b: plan.Block{Name: "small", SizeMiB: 1, Source: big}},
		{name: "source-missing", b: plan.Block{Name: "nosource", SizeMiB: 1, Source: filepath.Join(t.TempDir(), "nope")}},
		{name: "symlink", b: plan.Block{Name: "link", SizeMiB: 1}},
		{name: "directory", b: plan.Block{Name: "dir", SizeMiB: 1}},
		{name: "bad-name", b: plan.Block{Name: "../escape", SizeMiB: 1}},
		{name: "no-size", b: plan.Block{Name: "zero"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.CreateBlock(ctx, tt.b)
			if err == nil || !strings.HasPrefix(err.Error(), "create block "+tt.b.Name+": ") {
				t.Errorf("CreateBlock(%+v) = %v, want a \"create block %s: \" error", tt.b, err, tt.b.Name)
			}
		})
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CreateBlock wrote through a symbolic link: %v", err)
	}
	ents, _ := os.ReadDir(h.DBDir().BlockDir())
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{"dir", "link"}; !slices.Equal(names, want) {
		t.Errorf("block directory holds %q after failures, want %q", names, want)
	}
}

func TestImages(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, platform.Options{})
	src := filepath.Join(t.TempDir(), "web.hvt")
	if err := os.WriteFile(src, []byte("an image"), 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("an image"))
	digest := hex.EncodeToString(sum[:])

	for i := range 2 {
		path, err := h.StoreImage(ctx, src, digest)
		if err != nil {
			t.Fatalf("StoreImage #%d = %v", i+1, err)
		}
		if want := h.DBDir().Image(digest); path != want {
			t.Errorf("StoreImage = %s, want %s", path, want)
		}
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode() != datadir.ImageMode {
			t.Fatalf("stored image: %v, %v; want a regular file, mode %#o", fi, err, datadir.ImageMode)
		}
	}

	// One an earlier roost stored 0400 is kept and given the mode its
	// tenders share it by; one the operator changed otherwise is not
	// touched (observation reports it if it is more open).
	for _, c := range []struct{ before, after os.FileMode }{{0o400, datadir.ImageMode}, {0o440, 0o440}} {
		path := h.DBDir().Image(digest)
		if err := os.Chmod(path, c.before); err != nil {
			t.Fatal(err)
		}
		if _, err := h.StoreImage(ctx, src, digest); err != nil {
			t.Fatalf("StoreImage of an image stored %#o = %v", c.before, err)
		}
		if fi, err := os.Lstat(path); err != nil || fi.Mode() != c.after {
			t.Errorf("image stored %#o, stored again: %v, %v; want mode %#o", c.before, fi, err, c.after)
		}
	}
	os.Chmod(h.DBDir().Image(digest), datadir.ImageMode)

	other := sha256.Sum256([]byte("another image"))
	_, err := h.StoreImage(ctx, src, hex.EncodeToString(other[:]))
	if !errors.Is(err, platform.ErrImageChanged) {
		t.Errorf("StoreImage with a wrong digest = %v, want ErrImageChanged", err)
	}
	if _, err := h.StoreImage(ctx, src, "../../etc/passwd"); err == nil {
		t.Errorf("StoreImage with a path for a digest succeeded")
	}
	ents, _ := os.ReadDir(h.DBDir().ImagesDir())
	if len(ents) != 1 {
		t.Errorf("image store holds %d entries, want the one image", len(ents))
	}

	// An unreferenced image and a leftover temporary file go; the kept
	// one stays.
	junk := h.DBDir().Image(strings.Repeat("0", 64))
	if err := os.WriteFile(junk, nil, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.DBDir().ImagesDir(), ".0123.tmp42"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := h.PruneImages(ctx, map[string]bool{digest: true}); err != nil {
			t.Fatalf("PruneImages #%d = %v", i+1, err)
		}
	}
	ents, _ = os.ReadDir(h.DBDir().ImagesDir())
	if len(ents) != 1 || ents[0].Name() != digest {
		t.Errorf("after PruneImages the store holds %v, want only %s", ents, digest)
	}
	if err := h.PruneImages(ctx, nil); err != nil {
		t.Fatalf("PruneImages(nothing kept) = %v", err)
	}
	if ents, _ = os.ReadDir(h.DBDir().ImagesDir()); len(ents) != 0 {
		t.Errorf("PruneImages(nothing kept) left %v", ents)
	}
}

// fakeShims records calls and keeps a shim "alive" from Start to Stop.
type fakeShims struct {
	mu    sync.Mutex // guards the following
	calls []string
	alive map[string]bool
}

func (f *fakeShims) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeShims) Spawn(ctx context.Context, command []string, dbdir datadir.Dir, name string) (platform.StartedShim, error) {
	if _, err := os.Stat(dbdir.Spec(name)); err != nil {
		return nil, fmt.Errorf("no spec: %w", err)
	}
	f.record("start %s %q", name, command)
	f.mu.Lock()
	f.alive[name] = true
	f.mu.Unlock()
	return fakeStarted{f, name}, nil
}

// fakeStarted is a shim fakeShims started.
type fakeStarted struct {
	f    *fakeShims
	name string
}

func (s fakeStarted) Wait(ctx context.Context) (int, error) {
	s.f.record("started %s", s.name)
	return 42, nil
}

func (s fakeStarted) Verify(ctx context.Context, window time.Duration) error {
	return s.f.WaitRunning(ctx, "", s.name, window)
}

func (s fakeStarted) Close() {}

func (f *fakeShims) WaitRunning(ctx context.Context, dbdir datadir.Dir, name string, window time.Duration) error {
	f.record("wait %s %s", name, window)
	return nil
}

func (f *fakeShims) Stop(ctx context.Context, dbdir datadir.Dir, name string, timeout time.Duration) error {
	f.record("stop %s %s", name, timeout)
	f.mu.Lock()
	delete(f.alive, name)
	f.mu.Unlock()
	return nil
}

func (f *fakeShims) Reload(dbdir datadir.Dir, name string) error {
	f.record("reload %s", name)
	return nil
}

func (f *fakeShims) Alive(u *datadir.Subdir) (bool, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.alive[u.Name()], 42, nil
}

func TestUnikernelLifecycle(t *testing.T) {
	ctx := context.Background()
	shims := &fakeShims{alive: map[string]bool{}}
	h := newHost(t, platform.Options{ShimCommand: []string{"/bin/roost", "roost"}})
	platform.SetSupervisor(h, shims)
	spec := &plan.Spec{Name: "web", MemoryMiB: 32, StopTimeout: plan.Duration(3 * time.Second)}

	if err := h.StartUnikernel(ctx, spec); err != nil {
		t.Fatalf("StartUnikernel = %v", err)
	}
	if err := h.VerifyUnikernel(ctx, "web", time.Second); err != nil {
		t.Fatalf("VerifyUnikernel = %v", err)
	}
	fi, err := os.Lstat(h.DBDir().Unikernel("web"))
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("unikernel directory: %v, %v; want a directory, mode 0700", fi, err)
	}
	var got datadir.Spec
	if err := h.DBDir().ReadJSON(h.DBDir().Spec("web"), &got); err != nil || got.MemoryMiB != 32 {
		t.Errorf("spec.json = %+v, %v; want the spec", got, err)
	}

	spec.Restart.Policy = plan.RestartAlways
	if err := h.UpdateUnikernel(ctx, spec); err != nil {
		t.Fatalf("UpdateUnikernel = %v", err)
	}
	if err := h.DBDir().ReadJSON(h.DBDir().Spec("web"), &got); err != nil || got.Restart.Policy != plan.RestartAlways {
		t.Errorf("spec.json after update = %+v, %v; want policy always", got, err)
	}

	err = h.RemoveUnikernel(ctx, "web")
	if !errors.Is(err, platform.ErrShimRunning) {
		t.Errorf("RemoveUnikernel while the shim runs = %v, want ErrShimRunning", err)
	}
	if err := h.StopUnikernel(ctx, "web", 2*time.Second); err != nil {
		t.Fatalf("StopUnikernel = %v", err)
	}
	for i := range 2 {
		if err := h.RemoveUnikernel(ctx, "web"); err != nil {
			t.Fatalf("RemoveUnikernel #%d = %v", i+1, err)
		}
	}
	if _, err := os.Lstat(h.DBDir().Unikernel("web")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after RemoveUnikernel, stat = %v", err)
	}
	want := []string{
		`start web ["/bin/roost" "roost"]`,
		"started web",
		"wait web 1s",
		"reload web",
		"stop web 5s", // stop_timeout 3s, and 2s for the shim
	}
	if !slices.Equal(shims.calls, want) {
		t.Errorf("shim calls = %q, want %q", shims.calls, want)
	}
}

func TestProcessStats(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ProcessStats reads /proc")
	}
	st, err := platform.ProcessStats(os.Getpid())
	if err != nil {
		t.Fatalf("ProcessStats(self) = %v", err)
	}
	if st.RSSBytes < 1<<20 || st.CPUTime < 0 {
		t.Errorf("ProcessStats(self) = %+v, want at least 1 MiB resident", st)
	}
	if _, err := platform.ProcessStats(1 << 30); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ProcessStats(no such pid) = %v, want fs.ErrNotExist", err)
	}
}

func statBlock(t *testing.T, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// readPrefix returns up to the first n bytes of the file path.
func readPrefix(t *testing.T, path string, n int) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	m, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatal(err)
	}
	return b[:m]
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// TestSourcesNeverBlock swaps a configured image and a block source for
// named pipes after config read them: apply's copies refuse them at once
// instead of waiting for a writer (hardening finding 8's principle).
func TestSourcesNeverBlock(t *testing.T) {
	h := newHost(t, platform.Options{})
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 2)
	go func() { _, err := h.StoreImage(ctx, fifo, strings.Repeat("a", 64)); done <- err }()
	go func() { done <- h.CreateBlock(ctx, plan.Block{Name: "data", SizeMiB: 1, Source: fifo}) }()
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, regfile.ErrNotRegular) {
				t.Errorf("copy from a named pipe = %v, want ErrNotRegular", err)
			}
		case <-ctx.Done():
			t.Fatal("a copy from a named pipe blocked")
		}
	}
}
