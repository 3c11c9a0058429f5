package plan

import "testing"

func TestParseTapAlias(t *testing.T) {
	tests := []struct {
		alias                    string
		unikernel, device, owner string
		ok                       bool
	}{
		{alias: "roost:web:service:3f2a9c1b5d", unikernel: "web", device: "service", owner: "3f2a9c1b5d", ok: true},
		{alias: "roost:web:service", unikernel: "web", device: "service", ok: true}, // before data directory IDs
		{alias: "roost:web-0.a:net0", unikernel: "web-0.a", device: "net0", ok: true},
		{alias: "roost:bridge:net0", unikernel: "bridge", device: "net0", ok: true}, // a unikernel named bridge
		{alias: "roost:web:a:b", unikernel: "web", device: "a", owner: "b", ok: true},
		{alias: "roost:bridge"},
		{alias: "roost::service"},
		{alias: "roost:web:"},
		{alias: "roost:web:service:"},
		{alias: "roost:web:service:XYZ"},
		{alias: "roost:web:service:3f2a:b"},
		{alias: "roost:"},
		{alias: "other:web:service"},
		{alias: ""},
	}
	for _, tt := range tests {
		t.Run(tt.alias, func(t *testing.T) {
			u, d, o, ok := ParseTapAlias(tt.alias)
			if u != tt.unikernel || d != tt.device || o != tt.owner || ok != tt.ok {
				t.Errorf("ParseTapAlias(%q) = %q, %q, %q, %v, want %q, %q, %q, %v", tt.alias, u, d, o, ok, tt.unikernel, tt.device, tt.owner, tt.ok)
			}
			if tt.ok && TapAlias(u, d, o) != tt.alias {
				t.Errorf("TapAlias(%q, %q, %q) = %q, want %q", u, d, o, TapAlias(u, d, o), tt.alias)
			}
		})
	}
}

func TestParseBridgeAlias(t *testing.T) {
	tests := []struct {
		alias, owner string
		ok           bool
	}{
		{alias: "roost:bridge:3f2a9c1b5d", owner: "3f2a9c1b5d", ok: true},
		{alias: "roost:bridge", ok: true}, // before data directory IDs
		{alias: "roost:bridge:"},
		{alias: "roost:bridge:3f2a:9c"},
		{alias: "roost:bridge:Z"},
		{alias: "roost:bridges"},
		{alias: "roost:web:service"},
		{alias: ""},
	}
	for _, tt := range tests {
		t.Run(tt.alias, func(t *testing.T) {
			o, ok := ParseBridgeAlias(tt.alias)
			if o != tt.owner || ok != tt.ok {
				t.Errorf("ParseBridgeAlias(%q) = %q, %v, want %q, %v", tt.alias, o, ok, tt.owner, tt.ok)
			}
			if tt.ok && BridgeAlias(o) != tt.alias {
				t.Errorf("BridgeAlias(%q) = %q, want %q", o, BridgeAlias(o), tt.alias)
			}
		})
	}
}
