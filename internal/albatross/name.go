package albatross

import (
	"crypto/md5"
	"errors"
	"net"
	"strings"
)

// Name is an albatross name: a path of labels and a label, both
// lowercased. "foo.hello" (wire 4) and ":foo.hello" (wire 5) are the
// label foo.hello at the root; "foo:hello" is the label hello under the
// path foo.
type Name struct {
	Path  []string
	Label string // "" for a path alone ("foo:")
}

// String is the name as albatross writes it with wire version 5.
func (n Name) String() string { return strings.Join(n.Path, ":") + ":" + n.Label }

// BlockFile is the file name albatross gives the block device dev of the
// unikernel n under <dbdir>/block: the unikernel's path and dev.
func (n Name) BlockFile(dev string) string {
	return Name{Path: n.Path, Label: dev}.String()
}

func validLabel(s string) bool {
	if len(s) == 0 || len(s) >= 64 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

var errLabel = errors.New("invalid label (only [a-zA-Z0-9-.] allowed, 1 to 63 chars)")

// ParseName parses a name as albatross's Name.of_string does.
func ParseName(s string) (Name, error) {
	if s == "" {
		return Name{}, errors.New("empty name")
	}
	pathOnly := strings.HasSuffix(s, ":")
	if pathOnly {
		s = s[:len(s)-1]
	}
	parts := strings.Split(s, ":")
	if parts[0] == "" {
		parts = parts[1:]
	}
	for i, p := range parts {
		if !validLabel(p) {
			return Name{}, errLabel
		}
		parts[i] = strings.ToLower(p)
	}
	if len(parts) == 0 {
		parts = nil
	}
	if pathOnly {
		return Name{Path: parts}, nil
	}
	if len(parts) == 0 {
		return Name{}, errors.New("empty name")
	}
	path := parts[:len(parts)-1]
	if len(path) == 0 {
		path = nil
	}
	return Name{Path: path, Label: parts[len(parts)-1]}, nil
}

// MAC is the address albatross derives for the net device netif of the
// unikernel n when the dump gives none: 00:80:41 and the first three bytes
// of MD5(netif followed by n's wire-5 string).
func (n Name) MAC(netif string) net.HardwareAddr {
	sum := md5.Sum([]byte(netif + n.String()))
	return net.HardwareAddr{0x00, 0x80, 0x41, sum[0], sum[1], sum[2]}
}
