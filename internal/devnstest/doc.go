// Package devnstest gives a test binary its own /dev/kvm and /dev/net/tun,
// in a private mount namespace, with the modes an unprivileged tender
// needs (issue 13): /dev/kvm 0660 to a group of its own, /dev/net/tun
// 0666, as Debian ships them. The host's /dev is never changed: the nodes
// are made on a tmpfs of the test's and bind-mounted over the host's
// inside the namespace, which every process the tests start inherits.
package devnstest
