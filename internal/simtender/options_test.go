package simtender

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/platform/solo5"
)

func TestScanNet(t *testing.T) {
	tests := []struct {
		in          string
		name, iface string
		ok          bool
	}{
		{"service=tap0", "service", "tap0", true},
		{"a1B2=rt0123456789", "a1B2", "rt0123456789", true},
		{"service= tap0", "service", "tap0", true},
		{"service=tap0 trailing", "service", "tap0", true},
		{"service=abcdefghijklmnopqrstuvwxyz", "service", "abcdefghijklmnopqrs", true},
		{"service=@3", "service", "@3", true},
		{"service=", "", "", false},
		{"service", "", "", false},
		{"=tap0", "", "", false},
		{"my-net=tap0", "", "", false},
		{string(make68('a')) + "=tap0", "", "", false},
		{string(make68('a')[:67]) + "=tap0", string(make68('a')[:67]), "tap0", true},
	}
	for _, tt := range tests {
		name, iface, ok := scanNet(tt.in)
		if name != tt.name || iface != tt.iface || ok != tt.ok {
			t.Errorf("scanNet(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, iface, ok, tt.name, tt.iface, tt.ok)
		}
	}
}

func make68(c byte) []byte {
	b := make([]byte, 68)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestScanNetMAC(t *testing.T) {
	tests := []struct {
		in   string
		name string
		mac  [6]byte
		ok   bool
	}{
		{"service=02:00:00:00:00:01", "service", [6]byte{2, 0, 0, 0, 0, 1}, true},
		{"service=0A:bC:d:e:F:10", "service", [6]byte{0x0a, 0xbc, 0x0d, 0x0e, 0x0f, 0x10}, true},
		{"service=02:00:00:00:00:0123", "service", [6]byte{2, 0, 0, 0, 0, 1}, true},
		{"service=02:00:00:00:00", "", [6]byte{}, false},
		{"service=02-00-00-00-00-01", "", [6]byte{}, false},
		{"service=020:00:00:00:00:01", "", [6]byte{}, false},
		{"service=zz:00:00:00:00:01", "", [6]byte{}, false},
	}
	for _, tt := range tests {
		name, mac, ok := scanNetMAC(tt.in)
		if ok != tt.ok || ok && (name != tt.name || mac != tt.mac) {
			t.Errorf("scanNetMAC(%q) = %q, %x, %v; want %q, %x, %v", tt.in, name, mac, ok, tt.name, tt.mac, tt.ok)
		}
	}
}

func TestScanBlockAndSectorSize(t *testing.T) {
	if name, path, ok := scanBlock("storage=/var/lib/roost/block/data extra"); !ok || name != "storage" || path != "/var/lib/roost/block/data" {
		t.Errorf("scanBlock = %q, %q, %v", name, path, ok)
	}
	tests := []struct {
		in   string
		size uint16
		ok   bool
	}{
		{"storage=4096", 4096, true},
		{"storage= 512", 512, true},
		{"storage=512k", 512, true},
		{"storage=70000", 70000 & 0xffff, true},
		{"storage=-1", 0xffff, true},
		{"storage=", 0, false},
		{"storage=x", 0, false},
	}
	for _, tt := range tests {
		_, size, ok := scanSectorSize(tt.in)
		if size != tt.size || ok != tt.ok {
			t.Errorf("scanSectorSize(%q) = %d, %v; want %d, %v", tt.in, size, ok, tt.size, tt.ok)
		}
	}
}

func TestScanInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"64", 64, true},
		{" +64MB", 64, true},
		{"-3", -3, true},
		{"99999999999999999999", math.MaxInt64, true},
		{"", 0, false},
		{"-", 0, false},
		{"x1", 0, false},
	}
	for _, tt := range tests {
		got, ok := scanInt(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("scanInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTargetOf(t *testing.T) {
	tests := []struct {
		prog string
		want solo5.Target
	}{
		{"solo5-hvt", solo5.HVT},
		{"solo5-hvt.2", solo5.HVT},
		{"solo5-spt", solo5.SPT},
		{"solo5-spt.2", solo5.SPT},
		{"solo5-spt.x", solo5.HVT},
		{"solo5-spt-debug", solo5.HVT},
		{"roost-simtender", solo5.HVT},
	}
	for _, tt := range tests {
		if got := targetOf(tt.prog); got != tt.want {
			t.Errorf("targetOf(%q) = %v, want %v", tt.prog, got, tt.want)
		}
	}
}

func TestDerivedMAC(t *testing.T) {
	a, b := derivedMAC("service", "tap0"), derivedMAC("service", "tap1")
	if a == b {
		t.Errorf("derivedMAC gives %x for two interfaces", a)
	}
	if diff := cmp.Diff(a, derivedMAC("service", "tap0")); diff != "" {
		t.Errorf("derivedMAC is not stable:\n%s", diff)
	}
	if a[0]&1 != 0 || a[0]&2 == 0 {
		t.Errorf("derivedMAC = %x, want a locally administered unicast address", a)
	}
}
