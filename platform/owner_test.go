package platform

import (
	"testing"

	"github.com/roostd/roost/plan"
)

// TestLinkOwnership checks how an alias makes a link this data
// directory's (ours), one of a roost before data directory IDs (legacy,
// which plan weighs), another data directory's, or not roost's at all.
func TestLinkOwnership(t *testing.T) {
	const ours, theirs = "3f2a9c1b5d", "0123456789"
	bridges := []struct {
		alias          string
		owned, legacy  bool
		other          string
		mayChangeOrDel bool
	}{
		{alias: "roost:bridge:" + ours, owned: true, mayChangeOrDel: true},
		{alias: "roost:bridge", owned: true, legacy: true, mayChangeOrDel: true},
		{alias: "roost:bridge:" + theirs, other: theirs},
		{alias: "lan"},
		{alias: ""},
	}
	for _, b := range bridges {
		owned, legacy, other := bridgeOwnership(b.alias, ours)
		if owned != b.owned || legacy != b.legacy || other != b.other || ownsBridge(b.alias, ours) != b.mayChangeOrDel {
			t.Errorf("bridge alias %q: owned %v legacy %v other %q ownsBridge %v; want %v %v %q %v",
				b.alias, owned, legacy, other, ownsBridge(b.alias, ours), b.owned, b.legacy, b.other, b.mayChangeOrDel)
		}
	}
	taps := []struct {
		alias   string
		tap     plan.ObservedTap
		foreign string
		roost   bool
		mayDel  bool
	}{
		{alias: "roost:web:service:" + ours, tap: plan.ObservedTap{Name: "rt1", Unikernel: "web", Device: "service"}, roost: true, mayDel: true},
		{alias: "roost:web:service", tap: plan.ObservedTap{Name: "rt1", Unikernel: "web", Device: "service", Legacy: true}, roost: true, mayDel: true},
		{alias: "roost:web:service:" + theirs, foreign: plan.OtherDataDirTap("web", "service", theirs), roost: true},
		{alias: "vm guest"},
	}
	for _, tt := range taps {
		tap, foreign, roost := observeTap("rt1", tt.alias, ours)
		if tap != tt.tap || foreign != tt.foreign || roost != tt.roost || ownsTap(tt.alias, ours) != tt.mayDel {
			t.Errorf("tap alias %q: %+v, foreign %q, roost %v, ownsTap %v; want %+v, %q, %v, %v",
				tt.alias, tap, foreign, roost, ownsTap(tt.alias, ours), tt.tap, tt.foreign, tt.roost, tt.mayDel)
		}
	}
}
