package shim

// fdPath is how a tender opens its inherited descriptor n: both real
// tenders open /proc/self/fd/N as they open a path (Solo5 v0.12.1).
func fdPath(n int) string { return fdPathFor("/proc/self/fd/", n) }
