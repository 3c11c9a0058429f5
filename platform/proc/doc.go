// Package proc identifies processes through the kernel: a pid together
// with its start time, so that a reused pid is never taken for the process
// that once had it, and the boot id, so that records from an earlier boot
// are never trusted. It is a leaf: it reads /proc and nothing else, and
// both platform and the shim use it, so that /proc/PID/stat has one parser.
package proc
