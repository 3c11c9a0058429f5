package platform_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/datadir"
)

func lock(t *testing.T, dbdir datadir.Dir, exclusive bool, timeout time.Duration) (func(), error) {
	t.Helper()
	release, err := platform.Lock(context.Background(), dbdir, exclusive, timeout)
	if err == nil {
		t.Cleanup(release)
	}
	return release, err
}

func TestLock(t *testing.T) {
	tests := []struct {
		name        string
		first, then bool // exclusive?
		wantLocked  bool
	}{
		{name: "shared-then-shared", first: false, then: false},
		{name: "shared-then-exclusive", first: false, then: true, wantLocked: true},
		{name: "exclusive-then-shared", first: true, then: false, wantLocked: true},
		{name: "exclusive-then-exclusive", first: true, then: true, wantLocked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbdir := datadir.Dir(t.TempDir())
			if _, err := lock(t, dbdir, tt.first, 0); err != nil {
				t.Fatalf("Lock(exclusive=%v) = %v", tt.first, err)
			}
			_, err := lock(t, dbdir, tt.then, 0)
			if got := errors.Is(err, platform.ErrLocked); got != tt.wantLocked {
				t.Fatalf("second Lock(exclusive=%v) = %v, want locked %v", tt.then, err, tt.wantLocked)
			}
			if !tt.wantLocked && err != nil {
				t.Fatalf("second Lock(exclusive=%v) = %v", tt.then, err)
			}
		})
	}
}

func TestLockHolderMessage(t *testing.T) {
	dbdir := datadir.Dir(t.TempDir())
	release, err := lock(t, dbdir, true, 0)
	if err != nil {
		t.Fatalf("Lock = %v", err)
	}
	_, err = lock(t, dbdir, false, 0)
	var le *platform.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Lock while held = %v, want a *LockedError", err)
	}
	if le.Holder == nil || le.Holder.PID != os.Getpid() || le.Holder.Command == "" {
		t.Errorf("holder = %+v, want pid %d and a command", le.Holder, os.Getpid())
	}
	want := fmt.Sprintf("data directory %s is locked by pid %d (%s", dbdir, os.Getpid(), os.Args[0])
	if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, " since ") {
		t.Errorf("error = %q, want it to start with %q and say since when", msg, want)
	}

	// Released, the record is cleared: a shared holder now is not
	// mistaken for the old exclusive one.
	release()
	if b, err := os.ReadFile(dbdir.Lock()); err != nil || len(b) != 0 {
		t.Errorf("lock file after release = %q, %v; want it empty", b, err)
	}
	if _, err := lock(t, dbdir, false, 0); err != nil {
		t.Fatalf("shared Lock after release = %v", err)
	}
	_, err = lock(t, dbdir, true, 0)
	if !errors.As(err, &le) || le.Holder != nil {
		t.Fatalf("exclusive Lock while shared = %v, want a *LockedError without holder", err)
	}
	if !strings.Contains(err.Error(), "another roost process") {
		t.Errorf("error = %q, want it to say another roost process holds it", err)
	}
}

func TestLockTimeout(t *testing.T) {
	dbdir := datadir.Dir(t.TempDir())
	release, err := lock(t, dbdir, true, 0)
	if err != nil {
		t.Fatalf("Lock = %v", err)
	}
	start := time.Now()
	_, err = lock(t, dbdir, true, 150*time.Millisecond)
	if waited := time.Since(start); !errors.Is(err, platform.ErrLocked) || waited < 150*time.Millisecond {
		t.Fatalf("Lock with timeout 150ms = %v after %s, want ErrLocked after at least 150ms", err, waited)
	}
	if !strings.Contains(err.Error(), "waited 150ms") {
		t.Errorf("error = %q, want it to say how long it waited", err)
	}

	// Released while a Lock waits: the waiter gets it.
	time.AfterFunc(100*time.Millisecond, release)
	if _, err := lock(t, dbdir, true, 5*time.Second); err != nil {
		t.Fatalf("Lock waiting for a release = %v", err)
	}
}

func TestLockContext(t *testing.T) {
	dbdir := datadir.Dir(t.TempDir())
	if _, err := lock(t, dbdir, true, 0); err != nil {
		t.Fatalf("Lock = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := platform.Lock(ctx, dbdir, true, time.Minute)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock with a done context = %v, want context.DeadlineExceeded", err)
	}
}

func TestLockMissingDBDir(t *testing.T) {
	dbdir := datadir.Dir(filepath.Join(t.TempDir(), "db"))
	if _, err := lock(t, dbdir, false, 0); err != nil {
		t.Fatalf("shared Lock of a missing dbdir = %v", err)
	}
	if _, err := os.Stat(string(dbdir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("shared Lock created %s: %v", dbdir, err)
	}
	if _, err := lock(t, dbdir, true, 0); err != nil {
		t.Fatalf("exclusive Lock of a missing dbdir = %v", err)
	}
	if fi, err := os.Stat(string(dbdir)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("exclusive Lock made %s: %v, %v; want a directory, mode 0700", dbdir, fi, err)
	}
}

func TestLockRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	dbdir := datadir.Dir(filepath.Join(dir, "db"))
	if err := os.Mkdir(string(dbdir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), dbdir.Lock()); err != nil {
		t.Fatal(err)
	}
	if _, err := lock(t, dbdir, true, 0); err == nil {
		t.Fatalf("Lock through a symbolic link roost.lock succeeded")
	}
	if _, err := os.Lstat(filepath.Join(dir, "elsewhere")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lock created the symbolic link's target: %v", err)
	}
}
