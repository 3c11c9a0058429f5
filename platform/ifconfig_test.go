package platform

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorded returns a file of testdata/ifconfig without its # header,
// which names where the output comes from.
func recorded(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ifconfig", name))
	if err != nil {
		tb.Fatal(err)
	}
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("#")) {
			out = append(out, line...)
		}
	}
	return out
}

var prefixComparer = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

func pfx(s ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, p := range s {
		ps = append(ps, netip.MustParsePrefix(p))
	}
	return ps
}

func TestParseIfconfigRecorded(t *testing.T) {
	got, err := parseIfconfig(recorded(t, "bridge.txt"))
	if err != nil {
		t.Fatalf("parseIfconfig(bridge.txt) = %v", err)
	}
	want := []ifconfigIface{
		{Name: "em0", Flags: []string{"UP", "BROADCAST", "RUNNING", "SIMPLEX", "MULTICAST", "LOWER_UP"}, MTU: 1500,
			Addresses: pfx("198.51.100.7/24")},
		{Name: "lo0", Flags: []string{"UP", "LOOPBACK", "RUNNING", "MULTICAST", "LOWER_UP"}, MTU: 16384,
			Groups: []string{"lo"}, Addresses: pfx("127.0.0.1/8", "::1/128")},
		{Name: "service", Flags: []string{"UP", "BROADCAST", "RUNNING", "SIMPLEX", "MULTICAST", "LOWER_UP"}, MTU: 1400,
			Description: "roost:bridge", Groups: []string{"bridge"}, Members: []string{"tap0"},
			Addresses: pfx("192.0.2.1/24", "192.0.2.129/25", "2001:db8::1/64")},
		{Name: "tap0", Flags: []string{"UP", "BROADCAST", "RUNNING", "PROMISC", "SIMPLEX", "MULTICAST", "LOWER_UP"}, MTU: 1400,
			Description: "roost:web:service", Groups: []string{"tap"}},
		{Name: "tap1", Flags: []string{"BROADCAST", "SIMPLEX", "MULTICAST"}, MTU: 1500,
			Description: "vm-bhyve guest", Groups: []string{"tap"}},
		{Name: "tap2", Flags: []string{"BROADCAST", "SIMPLEX", "MULTICAST"}, MTU: 1500,
			Description: "roost:db", Groups: []string{"tap"}},
	}
	if diff := cmp.Diff(want, got, prefixComparer); diff != "" {
		t.Errorf("parseIfconfig(bridge.txt) mismatch (-want +got):\n%s", diff)
	}
	var taps []string
	for _, i := range got {
		if u, d, ok := roostTap(i, "3f2a9c1b5d"); ok {
			taps = append(taps, u+"/"+d)
		}
	}
	if want := []string{"web/service"}; !slices.Equal(taps, want) {
		t.Errorf("roost taps = %q, want %q", taps, want)
	}
}

// TestRoostTapOwner checks which taps are this data directory's: its
// own, and those of a roost before data directory IDs; not another's.
func TestRoostTapOwner(t *testing.T) {
	for _, tt := range []struct {
		desc string
		ok   bool
	}{
		{"roost:web:service:3f2a9c1b5d", true},
		{"roost:web:service", true},
		{"roost:web:service:0123456789", false},
		{"roost:bridge:3f2a9c1b5d", true}, // a unikernel named bridge
		{"vm-bhyve guest", false},
	} {
		i := ifconfigIface{Name: "tap0", Description: tt.desc, Groups: []string{"tap"}}
		if _, _, ok := roostTap(i, "3f2a9c1b5d"); ok != tt.ok {
			t.Errorf("roostTap(description %q) ok = %v, want %v", tt.desc, ok, tt.ok)
		}
	}
}

func TestParseIfconfigMalformed(t *testing.T) {
	head := "tap0: flags=8843<UP,BROADCAST> metric 0 mtu 1500\n"
	tests := []struct{ name, in string }{
		{"detail-before-interface", "\tinet 192.0.2.1 netmask 0xffffff00\n"},
		{"no-flags", "tap0: metric 0 mtu 1500\n"},
		{"flags-not-hex", "tap0: flags=zz<UP> metric 0 mtu 1500\n"},
		{"flags-unterminated", "tap0: flags=1<UP metric 0 mtu 1500\n"},
		{"no-mtu", "tap0: flags=1<UP> metric 0\n"},
		{"mtu-without-value", "tap0: flags=1<UP> metric 0 mtu\n"},
		{"mtu-not-a-number", "tap0: flags=1<UP> metric 0 mtu big\n"},
		{"bad-name", "ta p0: flags=1<UP> mtu 1500\n"},
		{"name-too-long", "abcdefghijklmnop: flags=1<UP> mtu 1500\n"},
		{"no-colon", "tap0 flags=1<UP> mtu 1500\n"},
		{"inet-no-netmask", head + "\tinet 192.0.2.1\n"},
		{"inet-bad-netmask", head + "\tinet 192.0.2.1 netmask 0xff00ff00\n"},
		{"inet-netmask-not-hex", head + "\tinet 192.0.2.1 netmask 255.255.255.0\n"},
		{"inet-not-ipv4", head + "\tinet 2001:db8::1 netmask 0xffffff00\n"},
		{"inet-empty", head + "\tinet\n"},
		{"inet6-bad-prefixlen", head + "\tinet6 2001:db8::1 prefixlen 129\n"},
		{"inet6-no-prefixlen", head + "\tinet6 2001:db8::1\n"},
		{"inet6-not-ipv6", head + "\tinet6 192.0.2.1 prefixlen 64\n"},
		{"member-without-name", head + "\tmember:\n"},
		{"twice", head + head},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := parseIfconfig([]byte(tt.in)); err == nil {
				t.Errorf("parseIfconfig(%q) = %+v, want an error", tt.in, got)
			}
		})
	}
}

func TestParseIfconfigCIDR(t *testing.T) {
	// ifconfig -f inet:cidr,inet6:cidr prints prefixes (print_mask).
	in := "br0: flags=1<UP> metric 0 mtu 1500\n\tinet 192.0.2.1/24 broadcast 192.0.2.255\n\tinet6 2001:db8::1/64\n\tinet6 fe80::1%br0/64 scopeid 0x3\n"
	got, err := parseIfconfig([]byte(in))
	if err != nil {
		t.Fatalf("parseIfconfig = %v", err)
	}
	if diff := cmp.Diff(pfx("192.0.2.1/24", "2001:db8::1/64"), got[0].Addresses, prefixComparer); diff != "" {
		t.Errorf("addresses mismatch (-want +got):\n%s", diff)
	}
}

func TestParseIfconfigNames(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{name: "group", in: string(recorded(t, "group-bridge.txt")), want: []string{"service", "bridge0"}},
		{name: "empty", in: "", want: []string{}},
		{name: "no-newline", in: "tap3", want: []string{"tap3"}},
		{name: "space", in: "tap 3\n", wantErr: true},
		{name: "blank-line", in: "tap3\n\ntap4\n", wantErr: true},
		{name: "option", in: "-a\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIfconfigNames([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Errorf("parseIfconfigNames(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("parseIfconfigNames(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseCreated(t *testing.T) {
	if got, err := parseCreated(recorded(t, "tap-create.txt")); err != nil || got != "tap0" {
		t.Errorf("parseCreated(tap-create.txt) = %q, %v, want tap0", got, err)
	}
	for _, in := range []string{"", "tap0\ntap1\n", "tap0 tap1\n"} {
		if got, err := parseCreated([]byte(in)); err == nil {
			t.Errorf("parseCreated(%q) = %q, want an error", in, got)
		}
	}
}

func TestIfconfigArgv(t *testing.T) {
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"create-tap", ifconfigCreate("tap"), []string{"tap", "create"}},
		{"create-bridge", ifconfigCreate("bridge"), []string{"bridge", "create"}},
		{"rename", ifconfigRename("bridge0", "service"), []string{"bridge0", "name", "service"}},
		{"describe", ifconfigDescribe("tap0", "roost:web:service"), []string{"tap0", "description", "roost:web:service"}},
		{"mtu", ifconfigMTU("tap0", 1400), []string{"tap0", "mtu", "1400"}},
		{"up", ifconfigUp("tap0"), []string{"tap0", "up"}},
		{"addm", ifconfigAddMember("service", "tap0"), []string{"service", "addm", "tap0"}},
		{"deletem", ifconfigDeleteMember("service", "tap0"), []string{"service", "deletem", "tap0"}},
		{"add-inet", ifconfigAddress("service", netip.MustParsePrefix("192.0.2.1/24"), true), []string{"service", "inet", "192.0.2.1/24", "alias"}},
		{"add-inet6", ifconfigAddress("service", netip.MustParsePrefix("2001:db8::1/64"), true), []string{"service", "inet6", "2001:db8::1/64", "alias"}},
		{"remove-inet", ifconfigAddress("service", netip.MustParsePrefix("192.0.2.1/24"), false), []string{"service", "inet", "192.0.2.1", "-alias"}},
		{"remove-inet6", ifconfigAddress("service", netip.MustParsePrefix("2001:db8::1/64"), false), []string{"service", "inet6", "2001:db8::1", "-alias"}},
		{"destroy", ifconfigDestroy("tap0"), []string{"tap0", "destroy"}},
		{"list", ifconfigList(), []string{"-a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Equal(tt.got, tt.want) {
				t.Errorf("argv = %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestIfconfigComplaints(t *testing.T) {
	// What err(3) and errx(3) in sbin/ifconfig print for the two cases.
	if !ifconfigGone("ifconfig: interface tap7 does not exist") {
		t.Error("ifconfigGone(does not exist) = false")
	}
	if !ifconfigNoAddress("ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address") {
		t.Error("ifconfigNoAddress(EADDRNOTAVAIL) = false")
	}
	if ifconfigGone("ifconfig: SIOCIFCREATE2 (tap): Operation not permitted") {
		t.Error("ifconfigGone(EPERM) = true")
	}
}

func FuzzParseIfconfig(f *testing.F) {
	for _, name := range []string{"bridge.txt", "tap-create.txt", "group-bridge.txt"} {
		f.Add(recorded(f, name))
	}
	f.Add([]byte("tap0: flags=1<UP> mtu 1500\n\tinet6 ::ffff:192.0.2.1 prefixlen 96\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ifaces, err := parseIfconfig(b)
		if err != nil {
			return
		}
		for _, i := range ifaces {
			if !validIfName(i.Name) || i.MTU <= 0 {
				t.Fatalf("parseIfconfig accepted %+v", i)
			}
			for _, m := range i.Members {
				if !validIfName(m) {
					t.Fatalf("parseIfconfig accepted member %q", m)
				}
			}
			for _, p := range i.Addresses {
				if !p.IsValid() || p.Addr().Zone() != "" {
					t.Fatalf("parseIfconfig accepted address %v", p)
				}
			}
		}
	})
}

// ifMsghdr builds an RTM_IFINFO of FreeBSD 11+ (struct if_msghdr, 168
// bytes) for index with flags and counters.
func ifMsghdr(index uint16, flags uint32, s TapStats) []byte {
	b := make([]byte, 168)
	le := binary.LittleEndian
	le.PutUint16(b[0:], 168)
	b[2], b[3] = rtmVersion, rtmIfInfo
	le.PutUint32(b[8:], flags)
	le.PutUint16(b[12:], index)
	le.PutUint64(b[16+24:], s.RxPackets)
	le.PutUint64(b[16+40:], s.TxPackets)
	le.PutUint64(b[16+64:], s.RxBytes)
	le.PutUint64(b[16+72:], s.TxBytes)
	return b
}

func ifAnnounce(index uint16, name string, what uint16) []byte {
	b := make([]byte, ifAnnounceSize)
	le := binary.LittleEndian
	le.PutUint16(b[0:], ifAnnounceSize)
	b[2], b[3] = rtmVersion, rtmIfAnnounce
	le.PutUint16(b[4:], index)
	copy(b[6:22], name)
	le.PutUint16(b[22:], what)
	return b
}

func TestParseRTMessages(t *testing.T) {
	st := TapStats{RxBytes: 1000, TxBytes: 2000, RxPackets: 10, TxPackets: 20}
	// An RTM_NEWADDR (0xc) follows each RTM_IFINFO in NET_RT_IFLIST; it is
	// skipped, as are messages of another version.
	newaddr := []byte{20, 0, rtmVersion, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	old := ifMsghdr(9, 0, TapStats{})
	old[2] = 4
	in := slices.Concat(ifMsghdr(4, iffUp, st), newaddr, ifAnnounce(5, "tap3", ifanDeparture), old)
	got, err := parseRTMessages(in)
	if err != nil {
		t.Fatalf("parseRTMessages = %v", err)
	}
	want := []rtMessage{
		{Type: rtmIfInfo, Index: 4, Flags: iffUp, Stats: st},
		{Type: rtmIfAnnounce, Index: 5, Name: "tap3", Departure: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseRTMessages mismatch (-want +got):\n%s", diff)
	}
	for name, bad := range map[string][]byte{
		"short-header":   {4, 0, rtmVersion},
		"length-too-big": {200, 0, rtmVersion, rtmIfInfo, 0, 0, 0, 0},
		"length-zero":    {0, 0, rtmVersion, rtmIfInfo},
		"ifinfo-short":   slices.Concat([]byte{8, 0, rtmVersion, rtmIfInfo}, make([]byte, 4)),
		"announce-short": slices.Concat([]byte{8, 0, rtmVersion, rtmIfAnnounce}, make([]byte, 4)),
	} {
		if got, err := parseRTMessages(bad); err == nil {
			t.Errorf("parseRTMessages(%s) = %+v, want an error", name, got)
		}
	}
}
