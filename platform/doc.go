// Package platform is roost's view of the host: it observes processes,
// taps, bridges and files (Observe) and changes them (the rest of Host).
// The data directory's layout and file rules live here too (dbdir.go).
// There is one implementation per OS: host_linux.go uses netlink and /proc,
// host_freebsd.go ifconfig(8), sysctl and kqueue; other systems return
// errors.ErrUnsupported (host_other.go).
package platform
