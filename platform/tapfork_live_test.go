//go:build integration && linux

package platform

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"sync"
	"syscall"
	"testing"

	"github.com/roostd/roost/internal/netnstest"
	"github.com/roostd/roost/plan"
	"github.com/vishvananda/netlink"
)

// TestTapFileReachesNoChild checks that no process is forked while roost
// holds a new tap's /dev/net/tun file. A child forked then (apply starts
// shims while it creates other taps) holds the file until its exec; under
// load that took long enough for the tap's own shim to find the tap busy
// ("give tap ... to uid ...: TUNSETIFF: device or resource busy", seen in
// an apply of 1,000). os/exec forks under syscall.ForkLock, so createTap
// holds it for reading while the file is open; were it not held, TryLock
// would succeed. Children are forked meanwhile, as apply does.
func TestTapFileReachesNoChild(t *testing.T) {
	ns := netnstest.New(t)
	oh, err := newOSHost(ns.Path(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h := oh.(*nlHost)
	if err := ns.Do(func() error {
		return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "rbr0"}})
	}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var windows, forkable int
	tapFileOpen = func() {
		mu.Lock()
		defer mu.Unlock()
		windows++
		if syscall.ForkLock.TryLock() {
			forkable++
			syscall.ForkLock.Unlock()
		}
	}
	t.Cleanup(func() { tapFileOpen = func() {} })

	done := make(chan struct{})
	var forks sync.WaitGroup
	forks.Add(1)
	go func() {
		defer forks.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := exec.Command("true").Run(); err != nil {
				t.Errorf("fork: %v", err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := "u" + string(rune('a'+i))
			n := plan.SpecNet{Device: "service", Bridge: "rbr0", Tap: plan.TapName(u, "service")}
			if err := h.ensureTap(context.Background(), u, n, testOwner); err != nil {
				t.Errorf("ensureTap(%s) = %v", u, err)
			}
		}()
	}
	wg.Wait()
	close(done)
	forks.Wait()
	if windows != 20 {
		t.Fatalf("saw %d tap files open, want 20", windows)
	}
	if forkable != 0 {
		t.Errorf("a fork could have happened while a tap's file was open, in %d of %d creations", forkable, windows)
	}
}
