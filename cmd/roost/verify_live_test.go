//go:build integration && linux

package main

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/roostd/roost/internal/solo5test"
	"golang.org/x/sys/unix"
)

// TestLiveVerifyUnderLoad checks that apply's verify window is the
// tender's time, not the wall clock's: a guest that rejects its start
// after 20 ms of computing (as a unikernel parses its arguments once it
// has booted) fails its apply although, sharing its CPU with seven busy
// processes, it runs for longer than the 100 ms window of wall time
// before it exits. Before, an apply of 1,000 such unikernels on two cores
// reported 634 as created.
func TestLiveVerifyUnderLoad(t *testing.T) {
	h := newLiveHost(t)
	h.image("slow.hvt", solo5test.Spec{Behaviour: "spin 20ms; print bad argument; exit 1"})
	h.write("main.hcl", `
unikernel "slow" {
  image = "slow.hvt"
  cpus  = [0]
}
`)
	var cpu0 unix.CPUSet
	cpu0.Set(0)
	for range 7 {
		hog := exec.Command("/bin/sh", "-c", "while :; do :; done")
		// A session each: with autogroup scheduling, a CPU is shared
		// between sessions first.
		hog.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := hog.Start(); err != nil {
			t.Fatal(err)
		}
		pid := hog.Process.Pid
		t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL); hog.Wait() })
		if err := unix.SchedSetaffinity(pid, &cpu0); err != nil {
			t.Fatal(err)
		}
	}
	r := h.roost("apply", "-auto-approve")
	if r.code != 1 || !strings.Contains(r.stdout, "unikernel.slow: failed") || !strings.Contains(r.stdout+r.stderr, "exited with code 1") {
		t.Fatalf("apply of a tender that fails once it has run 20 ms, on a busy CPU: exit %d, want it failed with exit code 1\n%s%s", r.code, r.stdout, r.stderr)
	}
}
