package proc

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The parser lives here without a build constraint, so that its tests run
// everywhere.

// Stat is what roost reads of /proc/PID/stat (proc(5)).
type Stat struct {
	Comm  string
	State string // field 3: R, S, D, Z (zombie), X (dead), ...
	// UTime and STime are field 14 and 15, in clock ticks.
	UTime, STime uint64
	// StartTime is field 22: when the process started, in clock ticks
	// since boot.
	StartTime uint64
}

// ClockTicks is USER_HZ, the unit of the times in /proc/PID/stat. Go has
// no sysconf(_SC_CLK_TCK) without cgo, but the kernel fixes USER_HZ at 100
// for every architecture roost runs on (include/asm-generic/param.h);
// only alpha and ia64 differed.
const ClockTicks = 100

// ParseStat parses the contents of /proc/PID/stat. The command name (field
// 2) is in parentheses and may itself hold spaces and parentheses, so the
// fields after it are found from the last ')'.
func ParseStat(b []byte) (Stat, error) {
	var st Stat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return st, errors.New("no (comm) field")
	}
	st.Comm = string(b[open+1 : end])
	// fields[0] is field 3 (state), so field n is fields[n-3].
	fields := strings.Fields(string(b[end+1:]))
	if len(fields) < 22-2 {
		return st, fmt.Errorf("%d fields after comm, want at least %d", len(fields), 22-2)
	}
	st.State = fields[0]
	var err error
	for _, f := range []struct {
		n   int
		dst *uint64
	}{{14, &st.UTime}, {15, &st.STime}, {22, &st.StartTime}} {
		if *f.dst, err = strconv.ParseUint(fields[f.n-3], 10, 64); err != nil {
			return st, fmt.Errorf("field %d: %w", f.n, err)
		}
	}
	return st, nil
}
