//go:build integration && !linux

package platform_test

import "testing"

// TestLinuxLiveTests says that host_live_test.go did not run: its tests
// drive netlink in network namespaces, which only Linux has. On FreeBSD
// host_live_freebsd_test.go covers bridges and taps on the host itself.
func TestLinuxLiveTests(t *testing.T) {
	t.Skip("host_live_test.go needs Linux (netlink, network namespaces); not run on this OS")
}
