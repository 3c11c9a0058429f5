//go:build !linux

package platform

import "github.com/roostd/roost/plan"

// tenderUsers: elsewhere tenders run as root. FreeBSD's hvt needs vmm(4)
// as root and enters capsicum itself.
const tenderUsers = false

func statDevice(path string) plan.DeviceNode {
	return plan.DeviceNode{Path: path, Err: "not looked at on this system"}
}
