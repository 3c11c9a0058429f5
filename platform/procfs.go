package platform

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The parsers of Linux /proc and /sys files live here, without a build
// constraint, so that their tests run everywhere.

// procStat is what roost reads of /proc/PID/stat (proc(5)).
type procStat struct {
	Comm  string
	State string // field 3: R, S, D, Z (zombie), X (dead), ...
	// UTime and STime are field 14 and 15, in clock ticks.
	UTime, STime uint64
	// StartTime is field 22: when the process started, in clock ticks
	// since boot.
	StartTime uint64
}

// parseStat parses the contents of /proc/PID/stat. The command name (field
// 2) is in parentheses and may itself hold spaces and parentheses, so the
// fields after it are found from the last ')'.
func parseStat(b []byte) (procStat, error) {
	var st procStat
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

// parseCPUList parses a kernel CPU list such as /sys/devices/system/cpu/online:
// "0-3,5,7-8".
func parseCPUList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	cpus := []int{}
	if s == "" {
		return cpus, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.Atoi(lo)
		if err != nil || first < 0 {
			return nil, fmt.Errorf("cpu list %q: bad item %q", s, part)
		}
		last := first
		if isRange {
			if last, err = strconv.Atoi(hi); err != nil || last < first {
				return nil, fmt.Errorf("cpu list %q: bad range %q", s, part)
			}
		}
		for c := first; c <= last; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// parseMemTotal returns MemTotal of /proc/meminfo in MiB.
func parseMemTotal(b []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || key != "MemTotal" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("MemTotal line %q: want a number of kB", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("MemTotal: %w", err)
		}
		return kb / 1024, nil
	}
	return 0, errors.New("no MemTotal line")
}

// parseStatm returns the resident set size, in pages, of /proc/PID/statm.
func parseStatm(b []byte) (uint64, error) {
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("%d fields, want at least 2", len(f))
	}
	return strconv.ParseUint(f[1], 10, 64)
}

// parseTapAlias splits a tap alias "roost:<unikernel>:<device>"
// (plan.TapAlias). Neither unikernel nor device names contain a colon, so
// "roost:bridge" and foreign aliases do not parse.
func parseTapAlias(alias string) (unikernel, device string, ok bool) {
	rest, ok := strings.CutPrefix(alias, "roost:")
	if !ok {
		return "", "", false
	}
	unikernel, device, ok = strings.Cut(rest, ":")
	if !ok || unikernel == "" || device == "" || strings.Contains(device, ":") {
		return "", "", false
	}
	return unikernel, device, true
}
