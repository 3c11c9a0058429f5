package subproc_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roostd/roost/internal/subproc"
	"golang.org/x/sys/unix"
)

// script writes an executable shell script into dir and returns its path.
// $1 is the directory, where the script leaves its pid (the group's id)
// and its background child's pid.
func script(t *testing.T, body string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "cmd")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho $$ > \"$0.pid\"\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// readPid reads a pid the script left, waiting for it to appear.
func readPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(b), "\n") {
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

// gone waits until no live process is in group pgid and pid is not alive,
// by pgid and pid, never by name. A killed process reparented to an init
// that reaps slowly lingers as a zombie, which counts as gone.
func gone(t *testing.T, pgid, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		live := livePids(pgid, pid)
		if len(live) == 0 {
			return
		}
		if time.Now().After(deadline) {
			unix.Kill(-pgid, unix.SIGKILL)
			t.Fatalf("processes %v of group %d (or grandchild %d) survived", live, pgid, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// livePids returns the processes that are pid or in group pgid and not
// zombies, from /proc; without /proc, whether kill(2) reaches them.
func livePids(pgid, pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		var live []int
		if unix.Kill(-pgid, 0) == nil {
			live = append(live, -pgid)
		}
		if unix.Kill(pid, 0) == nil {
			live = append(live, pid)
		}
		return live
	}
	var live []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		_, rest, _ := strings.Cut(string(b[strings.LastIndexByte(string(b), ')')+1:]), " ")
		f := strings.Fields(rest)
		if len(f) < 3 || f[0] == "Z" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid || n == pid {
			live = append(live, n)
		}
	}
	return live
}

// TestRunDeadline: a command that sleeps, with a grandchild holding its
// stdout, is killed as a group at the deadline (issue 8, finding 9).
func TestRunDeadline(t *testing.T) {
	path, _ := script(t, "sleep 1000 &\necho $! > \"$0.child\"\nsleep 1000\n")
	start := time.Now()
	_, err := subproc.Run(context.Background(), 300*time.Millisecond, path, "--version")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %v, want about the 300ms deadline", took)
	}
	if !errors.Is(err, subproc.ErrTimeout) || err.Error() != "timed out after 300ms; its process group was killed" {
		t.Errorf("Run = %v, want ErrTimeout", err)
	}
	gone(t, readPid(t, path+".pid"), readPid(t, path+".child"))
}

// TestRunGrandchildHoldsPipe: a command that exits at once, leaving a
// grandchild that holds its stdout, returns at once with its output, and
// the grandchild is killed with the group.
func TestRunGrandchildHoldsPipe(t *testing.T) {
	path, _ := script(t, "sleep 1000 &\necho $! > \"$0.child\"\necho ABI version 1 >&2\n")
	start := time.Now()
	res, err := subproc.Run(context.Background(), 10*time.Second, path)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %v, want at once", took)
	}
	if err != nil || string(res.Stderr) != "ABI version 1\n" {
		t.Errorf("Run = %q, %v; want the ABI line, nil", res.Stderr, err)
	}
	gone(t, readPid(t, path+".pid"), readPid(t, path+".child"))
}

// TestRunCancel: the caller's context ending (roost's on SIGINT or SIGTERM)
// kills the group at once.
func TestRunCancel(t *testing.T) {
	path, _ := script(t, "sleep 1000\n")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := subproc.Run(ctx, time.Minute, path)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %v after cancel, want at once", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	pgid := readPid(t, path+".pid")
	gone(t, pgid, pgid)
}

// TestRunOutputCapped: a command printing without end costs MaxOutput.
func TestRunOutputCapped(t *testing.T) {
	path, _ := script(t, "exec yes garbage\n")
	res, err := subproc.Run(context.Background(), 300*time.Millisecond, path)
	if !errors.Is(err, subproc.ErrTimeout) || len(res.Stdout) != subproc.MaxOutput {
		t.Errorf("Run = %d bytes, %v; want %d bytes, ErrTimeout", len(res.Stdout), err, subproc.MaxOutput)
	}
}

func TestRunExitStatus(t *testing.T) {
	path, _ := script(t, "echo bad >&2\nexit 3\n")
	res, err := subproc.Run(context.Background(), 10*time.Second, path)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || string(res.Stderr) != "bad\n" {
		t.Errorf("Run = %q, %v; want exit status 3 with its stderr", res.Stderr, err)
	}
}
