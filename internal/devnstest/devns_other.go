//go:build !linux

package devnstest

// KVMGroup is the gid of the test's /dev/kvm (Linux only).
const KVMGroup = 999_999

// Reexec does nothing here: tenders run as root off Linux.
func Reexec() (code int, done bool) { return 0, false }
