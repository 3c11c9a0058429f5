package main

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdProcGone checks that processes a script started are gone, by the pids
// they wrote, never by name: the process group whose id is in the first
// file, and each process in the others. It waits up to 5s, for the kernel
// to deliver a kill; zombies count as gone.
//
//	procgone GROUP_PID_FILE [PID_FILE...]
func cmdProcGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: procgone GROUP_PID_FILE [PID_FILE...]")
	}
	var pids []int
	for _, f := range args {
		b, err := os.ReadFile(ts.MkAbs(f))
		ts.Check(err)
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		ts.Check(err)
		pids = append(pids, pid)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		live := liveProcs(pids[0], pids[1:])
		if len(live) == 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("processes %v survive (group %d)", live, pids[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveProcs returns the processes, zombies aside, that are in group pgid
// or are one of pids, from /proc.
func liveProcs(pgid int, pids []int) []int {
	ents, _ := os.ReadDir("/proc")
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
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 3 || f[0] == "Z" {
			continue
		}
		g, _ := strconv.Atoi(f[2])
		if g == pgid || n == pgid || slices.Contains(pids, n) {
			live = append(live, n)
		}
	}
	return live
}
