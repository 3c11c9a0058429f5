package simtender

import (
	"crypto/sha256"
	"math"
	"strconv"
	"strings"
)

// The tenders parse their options with sscanf(3); these functions accept
// what those formats accept, including the leniencies (leading white space
// before numbers, text after the last conversion is ignored, %19s silently
// truncates).

// mftNameMax is MFT_NAME_MAX: a manifest name has at most 67 bytes.
const mftNameMax = 67

// pathMax is PATH_MAX, the width of --block's %s conversion.
const pathMax = 4096

// ifaceWidth is the width of --net's %19s conversion.
const ifaceWidth = 19

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}

// scanName matches "%67[A-Za-z0-9]=" at the start of s and returns the name
// and what follows the '='.
func scanName(s string) (name, rest string, ok bool) {
	i := 0
	for i < len(s) && i < mftNameMax && isNameByte(s[i]) {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '=' {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// scanString matches "%Ns": white space is skipped, then up to width bytes
// that are not white space.
func scanString(s string, width int) (string, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	i := 0
	for i < len(s) && i < width && !isSpace(s[i]) {
		i++
	}
	return s[:i], i > 0
}

// scanNet matches what follows "--net:": "%67[A-Za-z0-9]=%19s".
func scanNet(s string) (name, iface string, ok bool) {
	name, rest, ok := scanName(s)
	if !ok {
		return "", "", false
	}
	if iface, ok = scanString(rest, ifaceWidth); !ok {
		return "", "", false
	}
	return name, iface, true
}

// scanBlock matches what follows "--block:": "%67[A-Za-z0-9]=%4096s".
func scanBlock(s string) (name, path string, ok bool) {
	name, rest, ok := scanName(s)
	if !ok {
		return "", "", false
	}
	if path, ok = scanString(rest, pathMax); !ok {
		return "", "", false
	}
	return name, path, true
}

// scanNetMAC matches what follows "--net-mac:":
// "%67[A-Za-z0-9]=%02hhx:%02hhx:%02hhx:%02hhx:%02hhx:%02hhx".
func scanNetMAC(s string) (name string, mac [6]byte, ok bool) {
	name, rest, ok := scanName(s)
	if !ok {
		return "", mac, false
	}
	for i := range mac {
		if i > 0 {
			if rest == "" || rest[0] != ':' {
				return "", mac, false
			}
			rest = rest[1:]
		}
		rest = strings.TrimLeft(rest, " \t\n\v\f\r")
		n := 0
		for n < len(rest) && n < 2 && isHex(rest[n]) {
			n++
		}
		if n == 0 {
			return "", mac, false
		}
		v, _ := strconv.ParseUint(rest[:n], 16, 8)
		mac[i] = byte(v)
		rest = rest[n:]
	}
	return name, mac, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanSectorSize matches what follows "--block-sector-size:":
// "%67[A-Za-z0-9]=%hu". As with strtoul, the value wraps to 16 bits.
func scanSectorSize(s string) (name string, size uint16, ok bool) {
	name, rest, ok := scanName(s)
	if !ok {
		return "", 0, false
	}
	v, ok := scanInt(rest)
	if !ok {
		return "", 0, false
	}
	return name, uint16(v), true
}

// scanInt matches "%d": white space, an optional sign and decimal digits;
// what follows is ignored. Values beyond int64 saturate.
func scanInt(s string) (int64, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && '0' <= s[j] && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	v, err := strconv.ParseInt(s[:j], 10, 64)
	if err != nil {
		if s[0] == '-' {
			return math.MinInt64, true
		}
		return math.MaxInt64, true
	}
	return v, true
}

// derivedMAC returns a locally administered unicast address derived from
// the device and the interface it is attached to.
func derivedMAC(name, iface string) [6]byte {
	sum := sha256.Sum256([]byte("roost-sim:" + name + ":" + iface))
	var mac [6]byte
	copy(mac[:], sum[:6])
	mac[0] = mac[0]&0xfe | 0x02
	return mac
}
