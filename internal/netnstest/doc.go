// Package netnstest gives a test its own network namespace, so that kernel
// tests create taps, bridges and addresses without touching the host's.
//
// Unlike jsimonetti/rtnetlink's internal/testutils.NetNS, whose namespaces
// are anonymous file descriptors, the namespaces here are named, as
// `ip netns add` names them (a bind mount under /run/netns), so that
// subprocesses can run inside them with `ip netns exec`: the tests of the
// shim and the simulated tender start processes, not only netlink calls.
//
// New skips the test, saying why, when the process is not root or has no
// /dev/net/tun. Everything New creates is removed by the test's cleanup.
package netnstest
