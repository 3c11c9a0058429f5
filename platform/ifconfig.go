package platform

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/roostd/roost/plan"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// FreeBSD's interfaces are driven through ifconfig(8). The argument
// vectors it is run with and the parsers of what it prints live here,
// without a build constraint, so that their tests run on every system
// against outputs recorded from FreeBSD's sources (testdata/ifconfig).
// host_freebsd.go runs them.

// ifconfigIface is what roost reads of one interface in `ifconfig -a`.
type ifconfigIface struct {
	Name        string
	Flags       []string // from flags=8843<UP,BROADCAST,...>
	MTU         int
	Description string
	Groups      []string
	// Members are the bridge's member interfaces ("member:" lines).
	Members []string
	// Addresses are the inet and inet6 addresses roost manages: not
	// link-local, not autoconfigured or temporary (SLAAC's).
	Addresses []netip.Prefix
}

// Up reports whether the interface has the UP flag.
func (i ifconfigIface) Up() bool { return slices.Contains(i.Flags, "UP") }

// InGroup reports whether the interface is in group g ("bridge", "tap").
func (i ifconfigIface) InGroup(g string) bool { return slices.Contains(i.Groups, g) }

// roostTap returns the unikernel and device a tap's description names,
// if it is a roost tap of the data directory whose ID is owner (or of a
// roost before data directory IDs). Another data directory's taps are
// not: the kernel names FreeBSD's taps, so theirs never take the name
// of one of this data directory's.
func roostTap(i ifconfigIface, owner string) (unikernel, device string, ok bool) {
	if !i.InGroup("tap") {
		return "", "", false
	}
	unikernel, device, o, ok := plan.ParseTapAlias(i.Description)
	if !ok || o != "" && o != owner {
		return "", "", false
	}
	return unikernel, device, true
}

// maxIfconfigLine bounds a line of ifconfig's output; the longest real
// ones (options=..., member flags) are a few hundred bytes.
const maxIfconfigLine = 64 << 10

// parseIfconfig parses the output of `ifconfig -a`: for each interface a
// line "NAME: flags=HEX<FLAG,...> [metric N] mtu N" and after it lines that
// start with a tab (status_nl in sbin/ifconfig/ifconfig_netlink.c; the
// af_status functions of af_inet.c and af_inet6.c; bridge_status in
// ifbridge.c; getifgroups in ifgroup.c). Lines it does not know are
// skipped; lines it knows must be well formed.
func parseIfconfig(b []byte) ([]ifconfigIface, error) {
	var ifaces []ifconfigIface
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxIfconfigLine)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" {
			continue
		}
		if line[0] != '\t' && line[0] != ' ' {
			i, err := parseIfconfigHead(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			ifaces = append(ifaces, i)
			continue
		}
		if len(ifaces) == 0 {
			return nil, fmt.Errorf("line %d: %q before any interface", n, line)
		}
		if err := parseIfconfigDetail(&ifaces[len(ifaces)-1], line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	seen := map[string]bool{}
	for _, i := range ifaces {
		if seen[i.Name] {
			return nil, fmt.Errorf("interface %s listed twice", i.Name)
		}
		seen[i.Name] = true
	}
	return ifaces, nil
}

// parseIfconfigHead parses "bridge0: flags=8843<UP,...> metric 0 mtu 1500".
func parseIfconfigHead(line string) (ifconfigIface, error) {
	var i ifconfigIface
	name, rest, ok := strings.Cut(line, ": ")
	if !ok || !validIfName(name) {
		return i, fmt.Errorf("interface line %q: no valid name", line)
	}
	i.Name = name
	f := strings.Fields(rest)
	if len(f) == 0 || !strings.HasPrefix(f[0], "flags=") {
		return i, fmt.Errorf("interface line %q: no flags", line)
	}
	flags, err := parseFlagBits(strings.TrimPrefix(f[0], "flags="))
	if err != nil {
		return i, fmt.Errorf("interface %s: %w", name, err)
	}
	i.Flags = flags
	for k := 1; k < len(f); k++ {
		if f[k] != "mtu" {
			continue
		}
		if k+1 >= len(f) {
			return i, fmt.Errorf("interface %s: mtu without a value", name)
		}
		if i.MTU, err = strconv.Atoi(f[k+1]); err != nil || i.MTU <= 0 {
			return i, fmt.Errorf("interface %s: bad mtu %q", name, f[k+1])
		}
	}
	if i.MTU == 0 {
		return i, fmt.Errorf("interface %s: no mtu", name)
	}
	return i, nil
}

// parseFlagBits parses "8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>", as
// print_bits (ifconfig_netlink.c) and printb (ifconfig.c) print them: hex
// digits, then the names of the set bits, which are absent when none is.
func parseFlagBits(s string) ([]string, error) {
	hex, names, hasNames := strings.Cut(s, "<")
	if _, err := strconv.ParseUint(hex, 16, 64); err != nil {
		return nil, fmt.Errorf("flags %q: not hex", s)
	}
	if !hasNames {
		return []string{}, nil
	}
	names, ok := strings.CutSuffix(names, ">")
	if !ok || names == "" {
		return nil, fmt.Errorf("flags %q: unterminated <...>", s)
	}
	return strings.Split(names, ","), nil
}

// parseIfconfigDetail applies one tab-indented line to i.
func parseIfconfigDetail(i *ifconfigIface, line string) error {
	trimmed := strings.TrimLeft(line, "\t ")
	key, rest, _ := strings.Cut(trimmed, " ")
	switch key {
	case "description:":
		// The rest of the line, verbatim: a description may hold spaces.
		i.Description = rest
	case "groups:":
		i.Groups = strings.Fields(rest)
	case "member:":
		f := strings.Fields(rest)
		if len(f) == 0 || !validIfName(f[0]) {
			return fmt.Errorf("interface %s: member line %q: no valid name", i.Name, line)
		}
		i.Members = append(i.Members, f[0])
	case "inet":
		p, err := parseInet(rest)
		if err != nil {
			return fmt.Errorf("interface %s: %w", i.Name, err)
		}
		i.Addresses = append(i.Addresses, p)
	case "inet6":
		p, keep, err := parseInet6(rest)
		if err != nil {
			return fmt.Errorf("interface %s: %w", i.Name, err)
		}
		if keep {
			i.Addresses = append(i.Addresses, p)
		}
	}
	return nil
}

// parseInet parses what in_status (af_inet.c) prints after "inet":
// "192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255", or with -f
// inet:cidr "192.0.2.1/24".
func parseInet(s string) (netip.Prefix, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return netip.Prefix{}, errors.New("inet line without an address")
	}
	if p, err := netip.ParsePrefix(f[0]); err == nil && p.Addr().Is4() {
		return p, nil
	}
	a, err := netip.ParseAddr(f[0])
	if err != nil || !a.Is4() {
		return netip.Prefix{}, fmt.Errorf("inet address %q: not IPv4", f[0])
	}
	k := slices.Index(f, "netmask")
	if k < 0 || k+1 >= len(f) {
		return netip.Prefix{}, fmt.Errorf("inet %s: no netmask", a)
	}
	m, err := strconv.ParseUint(strings.TrimPrefix(f[k+1], "0x"), 16, 32)
	if err != nil || !strings.HasPrefix(f[k+1], "0x") {
		return netip.Prefix{}, fmt.Errorf("inet %s: netmask %q: not hex", a, f[k+1])
	}
	ones := 0
	for ones < 32 && m&(1<<(31-ones)) != 0 {
		ones++
	}
	if uint32(m)<<ones != 0 {
		return netip.Prefix{}, fmt.Errorf("inet %s: netmask %s is not contiguous", a, f[k+1])
	}
	return netip.PrefixFrom(a, ones), nil
}

// parseInet6 parses what in6_status_nl (af_inet6.c) prints after "inet6":
// "2001:db8::1 prefixlen 64 [flags] [scopeid 0xN] [pltime ... vltime ...]",
// or with -f inet6:cidr "2001:db8::1/64 ...". keep is false for the
// addresses that are not roost's: link-local ones (the kernel's), and
// SLAAC's (autoconf, temporary).
func parseInet6(s string) (p netip.Prefix, keep bool, err error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return p, false, errors.New("inet6 line without an address")
	}
	// A scoped address prints with its zone, fe80::1%bridge0, which
	// netip.ParsePrefix refuses: the length is cut off first.
	addr, length, hasLength := strings.Cut(f[0], "/")
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return p, false, fmt.Errorf("inet6 address %q: %w", f[0], err)
	}
	bits := -1
	if hasLength {
		if bits, err = strconv.Atoi(length); err != nil {
			return p, false, fmt.Errorf("inet6 %s: prefix length %q: not a number", a, length)
		}
	}
	if !a.Is6() || a.Is4In6() {
		return p, false, fmt.Errorf("inet6 address %q: not IPv6", f[0])
	}
	if k := slices.Index(f, "prefixlen"); k >= 0 {
		if k+1 >= len(f) {
			return p, false, fmt.Errorf("inet6 %s: prefixlen without a value", a)
		}
		if bits, err = strconv.Atoi(f[k+1]); err != nil {
			return p, false, fmt.Errorf("inet6 %s: prefixlen %q: not a number", a, f[k+1])
		}
	}
	if bits < 0 || bits > 128 {
		return p, false, fmt.Errorf("inet6 %s: no valid prefix length", a)
	}
	keep = !a.IsLinkLocalUnicast() && !slices.Contains(f, "autoconf") && !slices.Contains(f, "temporary")
	return netip.PrefixFrom(a.WithZone(""), bits), keep, nil
}

// parseIfconfigNames parses one interface name a line, as `ifconfig -g
// GROUP` prints the members of a group (printgroup in ifgroup.c) and as
// `ifconfig tap create` prints the name the kernel chose (ifclone.c sets
// printifname when the name it got differs from the one asked for, and
// ifconfig.c prints it at the end).
func parseIfconfigNames(b []byte) ([]string, error) {
	names := []string{}
	for n, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" && len(b) <= 1 {
			break
		}
		if !validIfName(line) {
			return nil, fmt.Errorf("line %d: %q is not an interface name", n+1, line)
		}
		names = append(names, line)
	}
	return names, nil
}

// parseCreated returns the name that `ifconfig tap create` (or `bridge
// create`) printed: exactly one.
func parseCreated(b []byte) (string, error) {
	names, err := parseIfconfigNames(b)
	if err != nil {
		return "", err
	}
	if len(names) != 1 {
		return "", fmt.Errorf("%d names printed, want 1", len(names))
	}
	return names[0], nil
}

// validIfName reports whether name can be a FreeBSD or Linux interface
// name: 1 to 15 bytes (IFNAMSIZ 16 with its NUL), printable, no space,
// slash or colon, and not an option.
func validIfName(name string) bool {
	if name == "" || len(name) > 15 || name[0] == '-' {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || c == '/' || c == ':' {
			return false
		}
	}
	return true
}

// The argument vectors roost runs ifconfig with (ifconfig(8)); each is
// whole, never passed through a shell.

// ifconfigCreate makes a cloned interface: kind is "tap" or "bridge".
func ifconfigCreate(kind string) []string { return []string{kind, "create"} }

// ifconfigRename gives interface from the name to.
func ifconfigRename(from, to string) []string { return []string{from, "name", to} }

// ifconfigDescribe sets the description, roost's mark of ownership (what
// the interface alias is on Linux).
func ifconfigDescribe(name, description string) []string {
	return []string{name, "description", description}
}

func ifconfigMTU(name string, mtu int) []string {
	return []string{name, "mtu", strconv.Itoa(mtu)}
}

func ifconfigUp(name string) []string { return []string{name, "up"} }

// ifconfigAddMember adds member to bridge.
func ifconfigAddMember(bridge, member string) []string {
	return []string{bridge, "addm", member}
}

// ifconfigDeleteMember removes member from bridge.
func ifconfigDeleteMember(bridge, member string) []string {
	return []string{bridge, "deletem", member}
}

// ifconfigAddress adds p to name (add) or removes it. "alias" adds the
// address beside the others instead of replacing the first one.
func ifconfigAddress(name string, p netip.Prefix, add bool) []string {
	family := "inet"
	if p.Addr().Is6() {
		family = "inet6"
	}
	if add {
		return []string{name, family, p.String(), "alias"}
	}
	return []string{name, family, p.Addr().String(), "-alias"}
}

func ifconfigDestroy(name string) []string { return []string{name, "destroy"} }

// ifconfigList lists every interface with its addresses.
func ifconfigList() []string { return []string{"-a"} }

// ifconfigGone reports whether ifconfig's complaint says the interface
// does not exist: "ifconfig: interface tap7 does not exist" (ifconfig.c,
// when SIOCGIFFLAGS or the netlink lookup finds no such name).
func ifconfigGone(stderr string) bool {
	return strings.Contains(stderr, "does not exist")
}

// ifconfigNoAddress reports whether ifconfig's complaint says an address
// to remove is not there: EADDRNOTAVAIL from SIOCDIFADDR, printed by err(3)
// as "Can't assign requested address".
func ifconfigNoAddress(stderr string) bool {
	return strings.Contains(stderr, "Can't assign requested address")
}
