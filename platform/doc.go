// Package platform is roost's view of the host: it observes processes,
// taps, bridges and files (Observe) and changes them (the rest of Host).
// The data directory's layout and file rules live here too (dbdir.go).
// There is one implementation per OS: host_linux.go uses netlink and /proc;
// FreeBSD and others return errors.ErrUnsupported for what they lack.
package platform
