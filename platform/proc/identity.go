package proc

import "fmt"

// StartTime returns when process pid started, as status.json's
// tender_start records it: in the units of Stat.StartTime (Linux: clock
// ticks since boot; FreeBSD: microseconds since boot).
func StartTime(pid int) (uint64, error) {
	st, err := ReadStat(pid)
	if err != nil {
		return 0, fmt.Errorf("start time of process %d: %w", pid, err)
	}
	return st.StartTime, nil
}

// Alive reports whether pid is the process that started at start and has
// not exited: a zombie has, and a reused pid is another process (Probe).
func Alive(pid int, start uint64) bool {
	alive, _ := Probe(pid, start)
	return alive
}
