package plan

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

func (m *maker) bridges() {
	used := map[string]bool{}
	for _, u := range m.d.Unikernels {
		for _, n := range u.Nets {
			used[n.Bridge] = true
		}
	}
	declared := map[string]bool{}
	for i := range m.d.Bridges {
		b := &m.d.Bridges[i]
		declared[b.Name] = true
		ob, ok := m.o.Bridges[b.Name]
		ob.Owned = m.ownsBridge(ob)
		switch {
		case !ok:
			m.p.Changes = append(m.p.Changes, Change{Kind: KindBridge, Name: b.Name, Action: Create, Bridge: b, Reasons: []string{"declared, not on the host"}, Fields: bridgeFields(nil, b)})
		case !ob.Owned:
			if (b.MTU != 0 && b.MTU != ob.MTU) || (len(b.Addresses) > 0 && !samePrefixes(b.Addresses, ob.Addresses)) {
				whose := "existed before roost"
				switch {
				case ob.OtherDataDir != "":
					whose = fmt.Sprintf("is another roost data directory's (ID %s)", ob.OtherDataDir)
				case ob.Legacy:
					whose = "was made by a roost before data directories had IDs, is not known to be this data directory's,"
				}
				m.p.Warnings = append(m.p.Warnings, fmt.Sprintf("bridge %q %s and is used as it is; its addresses and MTU differ from the configuration and are left alone", b.Name, whose))
			}
		default:
			fields := bridgeFields(&ob, b)
			switch {
			case len(fields) > 0:
				m.p.Changes = append(m.p.Changes, Change{Kind: KindBridge, Name: b.Name, Action: Update, Bridge: b, Fields: fields})
			case !ob.Up:
				m.p.Changes = append(m.p.Changes, Change{Kind: KindBridge, Name: b.Name, Action: Update, Bridge: b, Reasons: []string{"bridge is down"}})
			case ob.Legacy:
				m.p.Changes = append(m.p.Changes, Change{Kind: KindBridge, Name: b.Name, Action: Update, Bridge: b, Reasons: []string{"made by a roost before data directories had IDs: its alias gets this data directory's"}})
			}
		}
	}
	for _, name := range sortedKeys(m.o.Bridges) {
		ob := m.o.Bridges[name]
		if !ob.Owned || declared[name] || used[name] {
			continue
		}
		if !m.ownsBridge(ob) {
			m.p.Warnings = append(m.p.Warnings, fmt.Sprintf("bridge %q was made by a roost before data directories had IDs and is not known to be this data directory's: it may be another data directory's, and is left alone (delete it by hand if nothing uses it)", name))
			continue
		}
		m.p.Changes = append(m.p.Changes, Change{Kind: KindBridge, Name: name, Action: Delete, Reasons: []string{m.goneReason()}})
	}
}

// ownsBridge reports whether ob is this data directory's to change and
// delete: it made it, or a roost before data directory IDs did, this
// data directory existed then, and its applied specs put a tap on it.
func (m *maker) ownsBridge(ob ObservedBridge) bool {
	return ob.Owned && (!ob.Legacy || m.o.LegacyLinks && m.appliedBridges()[ob.Name])
}

// appliedBridges are the bridges this data directory's applied specs put
// a tap on.
func (m *maker) appliedBridges() map[string]bool { return m.appliedNets().bridges }

func bridgeFields(ob *ObservedBridge, b *Bridge) []Field {
	var fields []Field
	var beforeAddrs, beforeMTU string
	if ob != nil {
		beforeAddrs = prefixList(ob.Addresses)
		beforeMTU = strconv.Itoa(ob.MTU)
	}
	if ob == nil || !samePrefixes(ob.Addresses, b.Addresses) {
		if ob != nil || len(b.Addresses) > 0 {
			fields = append(fields, Field{Name: "addresses", Before: beforeAddrs, After: prefixList(b.Addresses)})
		}
	}
	if b.MTU != 0 && (ob == nil || ob.MTU != b.MTU) {
		fields = append(fields, Field{Name: "mtu", Before: beforeMTU, After: strconv.Itoa(b.MTU)})
	}
	return fields
}

func samePrefixes(a, b []netip.Prefix) bool {
	return prefixList(a) == prefixList(b)
}

func prefixList(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	sort.Strings(s)
	return "[" + strings.Join(s, ", ") + "]"
}
