package proc

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
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
	// The fields are read in place, not split into strings: a plan of a
	// thousand unikernels parses two thousand of these.
	rest := b[end+1:]
	n := 2 // the field before the next one
	for {
		for len(rest) > 0 && isStatSpace(rest[0]) {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			break
		}
		i := 0
		for i < len(rest) && !isStatSpace(rest[i]) {
			i++
		}
		f := rest[:i]
		rest = rest[i:]
		n++
		var dst *uint64
		switch n {
		case 3:
			st.State = string(f)
		case 14:
			dst = &st.UTime
		case 15:
			dst = &st.STime
		case 22:
			dst = &st.StartTime
		}
		if dst != nil {
			v, err := strconv.ParseUint(string(f), 10, 64)
			if err != nil {
				return st, fmt.Errorf("field %d: %w", n, err)
			}
			*dst = v
		}
	}
	if n < 22 {
		return st, fmt.Errorf("%d fields after comm, want at least %d", n-2, 22-2)
	}
	return st, nil
}

// isStatSpace reports whether c separates the fields of /proc/PID/stat.
func isStatSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}
