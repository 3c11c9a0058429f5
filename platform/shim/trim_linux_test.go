package shim

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestReadOnlyMapping(t *testing.T) {
	const ino = 9994465
	tests := []struct {
		line       string
		start, end uintptr
		ok         bool
	}{
		{"00400000-00546000 r-xp 00000000 fe:00 9994465  /usr/bin/roost-shim", 0x400000, 0x546000, true},
		{"00546000-006b8000 r--p 00146000 fe:00 9994465  /usr/bin/roost-shim", 0x546000, 0x6b8000, true},
		{"006b8000-006db000 rw-p 002b8000 fe:00 9994465  /usr/bin/roost-shim", 0, 0, false}, // data: never
		{"7f0000000000-7f0000001000 r-xp 00000000 fe:00 1234  /lib/x.so", 0, 0, false},      // another file
		{"370919000000-370919400000 rw-p 00000000 00:00 0", 0, 0, false},
		{"00546000-00546000 r--p 00146000 fe:00 9994465  /usr/bin/roost-shim", 0, 0, false},
		{"garbage", 0, 0, false},
	}
	for _, tt := range tests {
		s, e, ok := readOnlyMapping([]byte(tt.line), ino)
		if s != tt.start || e != tt.end || ok != tt.ok {
			t.Errorf("readOnlyMapping(%q) = %#x, %#x, %v; want %#x, %#x, %v", tt.line, s, e, ok, tt.start, tt.end, tt.ok)
		}
	}
}

// TestTrimmable checks which mappings of smaps trimCode drops: the
// executable's, not writable, with no page of their own (a relocated
// RELRO segment of a PIE build has some).
func TestTrimmable(t *testing.T) {
	smaps := `00400000-00546000 r-xp 00000000 fe:00 77  /usr/bin/roost-shim
Rss:                1088 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me dw sd
00546000-006b8000 r--p 00146000 fe:00 77  /usr/bin/roost-shim
Anonymous:             0 kB
006b8000-006c0000 r--p 002b8000 fe:00 77  /usr/bin/roost-shim
Anonymous:            32 kB
006c0000-006db000 rw-p 002c0000 fe:00 77  /usr/bin/roost-shim
Anonymous:             0 kB
7f0000000000-7f0000001000 r-xp 00000000 fe:00 12  /lib/x.so
Anonymous:             0 kB
370919000000-370919400000 rw-p 00000000 00:00 0
Anonymous:           724 kB
`
	got := trimmable([]byte(smaps), 77)
	want := []mapping{{0x400000, 0x546000}, {0x546000, 0x6b8000}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("trimmable = %#v, want %#v", got, want)
	}
}

// TestTrimCode checks that trimCode lowers the resident text of this
// process (the test binary stands for roost-shim) and that the process
// goes on running, and leaves its writable data alone.
func TestTrimCode(t *testing.T) {
	before := exeResident(t)
	marker := strings.Repeat("x", 3) // data the trim must not touch
	trimCode()
	after := exeResident(t)
	if after.readOnly >= before.readOnly {
		t.Errorf("read-only resident kB of the executable: %d before trimCode, %d after; want fewer", before.readOnly, after.readOnly)
	}
	if marker != "xxx" || after.writable == 0 {
		t.Errorf("trimCode changed writable memory: marker %q, writable resident %d kB", marker, after.writable)
	}
	t.Logf("resident kB of the executable's read-only mappings: %d -> %d", before.readOnly, after.readOnly)
}

type resident struct{ readOnly, writable int }

// exeResident sums the Rss of this executable's mappings.
func exeResident(t *testing.T) resident {
	t.Helper()
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var r resident
	var cur *int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4:
			cur = nil
			if f[4] == strconv.FormatUint(exe.Ino, 10) {
				if f[1][1] == 'w' {
					cur = &r.writable
				} else {
					cur = &r.readOnly
				}
			}
		case len(f) >= 2 && f[0] == "Rss:" && cur != nil:
			kb, _ := strconv.Atoi(f[1])
			*cur += kb
		}
	}
	return r
}
