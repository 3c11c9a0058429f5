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
// Only mappings of the executable that are not writable are touched:
// MADV_DONTNEED on a private writable mapping would throw away its data.
func trimCode() {
	var exe unix.Stat_t
	if unix.Stat("/proc/self/exe", &exe) != nil {
		return
	}
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		start, end, ok := readOnlyMapping(sc.Bytes(), exe.Ino)
		if ok {
			unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_DONTNEED)
		}
	}
}

// readOnlyMapping parses a line of /proc/self/maps ("start-end perms
// offset dev inode path") and reports the range if it maps file inode ino
// without write permission.
func readOnlyMapping(line []byte, ino uint64) (start, end uintptr, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 6 || len(f[1]) != 4 || f[1][1] == 'w' {
		return 0, 0, false
	}
	if n, err := strconv.ParseUint(string(f[4]), 10, 64); err != nil || n != ino {
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
