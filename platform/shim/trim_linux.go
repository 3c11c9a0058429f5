package shim

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// trimDelay is how long after a tender's start the shim trims: past the
// verify window and the first status writes.
const trimDelay = time.Second

// trimCode lets go of the shim's own read-only pages: the text and
// read-only data of the roost-shim executable mapped so far. Starting a
// tender runs most of the shim's code once (flags, JSON, devices, exec);
// waiting for it runs little. The pages stay in the page cache, shared
// with every other shim, and what the shim runs next is mapped again from
// there (minor faults), so this changes no behaviour: it keeps an idle
// shim's resident set to what it uses, as a supervisor as lean as what it
// supervises should (issue 9: a lone shim's PSS is all its own).
//
// Only mappings of the executable that are not writable and hold no
// page of their own are touched (smaps' Anonymous: 0): MADV_DONTNEED
// gives a private mapping back the file's bytes, which for a page the
// process changed (a writable mapping's data; in a PIE or cgo build, the
// relocations of its RELRO segment, read-only once relocated) would lose
// what it changed.
func trimCode() {
	var exe unix.Stat_t
	if unix.Stat("/proc/self/exe", &exe) != nil {
		return
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return
	}
	for _, m := range trimmable(b, exe.Ino) {
		unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED)
	}
}

type mapping struct{ start, end uintptr }

// trimmable returns the mappings of smaps (the contents of
// /proc/self/smaps) that map file inode ino, are not writable and have
// no anonymous page.
func trimmable(smaps []byte, ino uint64) []mapping {
	var out []mapping
	var cur mapping
	candidate := false
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		line := sc.Bytes()
		if start, end, ok := mappingLine(line); ok {
			cur, candidate = mapping{start, end}, false
			if s, e, ok := readOnlyMapping(line, ino); ok {
				cur, candidate = mapping{s, e}, true
			}
			continue
		}
		if candidate && bytes.HasPrefix(line, []byte("Anonymous:")) {
			if f := bytes.Fields(line); len(f) >= 2 && string(f[1]) == "0" {
				out = append(out, cur)
			}
			candidate = false
		}
	}
	return out
}

// mappingLine parses the first line of a mapping in smaps or maps
// ("start-end perms offset dev inode [path]").
func mappingLine(line []byte) (start, end uintptr, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 5 || len(f[1]) != 4 {
		return 0, 0, false
	}
	s, e, found := bytes.Cut(f[0], []byte("-"))
	if !found {
		return 0, 0, false
	}
	a, err1 := strconv.ParseUint(string(s), 16, 64)
	z, err2 := strconv.ParseUint(string(e), 16, 64)
	if err1 != nil || err2 != nil || z <= a {
		return 0, 0, false
	}
	return uintptr(a), uintptr(z), true
}

// readOnlyMapping parses the first line of a mapping and reports the
// range if it maps file inode ino without write permission.
func readOnlyMapping(line []byte, ino uint64) (start, end uintptr, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 6 || len(f[1]) != 4 || f[1][1] == 'w' {
		return 0, 0, false
	}
	if n, err := strconv.ParseUint(string(f[4]), 10, 64); err != nil || n != ino {
		return 0, 0, false
	}
	return mappingLine(line)
}
