package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roostd/roost/internal/solo5test"
)

// TestSignalEndsBlockedCommand: roost validate waiting on a tender whose
// --version never returns ends within a second of SIGTERM, and takes the
// tender's process group with it (issue 8, findings 8 and 9). It runs the
// roost that TestMain installs on $PATH, a process of its own.
func TestSignalEndsBlockedCommand(t *testing.T) {
	roost, err := exec.LookPath("roost")
	if err != nil {
		t.Skipf("no roost command on $PATH (TestMain installs it): %v", err)
	}
	dir := t.TempDir()
	if err := solo5test.Write(filepath.Join(dir, "images", "web.hvt"), solo5test.Spec{}); err != nil {
		t.Fatal(err)
	}
	tenders := filepath.Join(dir, "tenders")
	if err := os.MkdirAll(tenders, 0o755); err != nil {
		t.Fatal(err)
	}
	tender := filepath.Join(tenders, "solo5-hvt")
	script := "#!/bin/sh\nsleep 1000 &\necho $! > \"$0.child\"\necho $$ > \"$0.pid\"\nsleep 1000\n"
	if err := os.WriteFile(tender, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte("unikernel \"web\" {\n  image = \"images/web.hvt\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(roost, "validate", dir)
	cmd.Env = append(os.Environ(), "PATH="+tenders+":/usr/bin:/bin", "ROOST_DBDIR="+filepath.Join(dir, "dbdir"), "ROOST_FAKEHOST=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := waitPidFile(t, tender+".pid")
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if took := time.Since(start); took > time.Second {
		t.Errorf("roost validate ended %v after SIGTERM, want within a second", took)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "roost: validate interrupted: context canceled\n") {
		t.Errorf("roost validate = %v, stderr:\n%s\nwant exit status 1 and the interruption named", err, stderr.String())
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		live := liveProcs(pgid, []int{waitPidFile(t, tender+".child")})
		if len(live) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %v of the tender's group %d survive", live, pgid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitPidFile waits for a script to write its pid into path.
func waitPidFile(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
