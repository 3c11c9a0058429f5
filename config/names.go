package config

import (
	"crypto/md5"
	"fmt"
	"github.com/roostd/roost/plan"
	"regexp"
	"strings"
)

// NameRule and ValidName are plan's: the rule for unikernel, block and
// instance names.
const NameRule = plan.NameRule

// ValidName reports whether s may name a unikernel, block or instance.
func ValidName(s string) bool { return plan.ValidName(s) }

var deviceRE = regexp.MustCompile(`^[A-Za-z0-9]{1,67}$`)

// ValidDevice reports whether s may name a manifest device (Solo5's rule:
// 1 to 67 ASCII letters and digits).
func ValidDevice(s string) bool { return deviceRE.MatchString(s) }

// MaxIfNameLen is the longest interface name Linux and FreeBSD accept
// (IFNAMSIZ less the terminator).
const MaxIfNameLen = 15

// ifNameProblem says what is wrong with s as an interface name, or "".
func ifNameProblem(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case len(s) > MaxIfNameLen:
		return fmt.Sprintf("it is %d bytes long and interface names have at most %d", len(s), MaxIfNameLen)
	case s == "." || s == "..":
		return "it is a path element"
	case strings.ContainsAny(s, "/: \t\n%"):
		return "interface names cannot hold '/', ':', '%' or white space"
	}
	return ""
}

// DefaultMAC is the MAC address a net device gets when none is declared:
// 00:80:41 followed by the first three bytes of MD5(device ":" unikernel),
// as albatross computes it, so a host moving from albatross keeps its DHCP
// leases.
func DefaultMAC(device, unikernel string) string {
	sum := md5.Sum([]byte(device + ":" + unikernel))
	return fmt.Sprintf("00:80:41:%02x:%02x:%02x", sum[0], sum[1], sum[2])
}
