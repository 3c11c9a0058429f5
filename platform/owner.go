package platform

import "github.com/roostd/roost/plan"

// Links name the data directory that made them (issue 9: never touch an
// interface that is not roost's). A roost before data directory IDs
// wrote no owner; such a link is this data directory's as far as plan
// finds that its specs name it, and apply gives it this data directory's
// alias whenever it sets one up.

// bridgeOwnership reads the alias of a bridge for the data directory
// whose ID is ours: owned when roost made it for ours, or legacy (no
// owner); other, the ID of another data directory that made it.
func bridgeOwnership(alias, ours string) (owned, legacy bool, other string) {
	owner, ok := plan.ParseBridgeAlias(alias)
	switch {
	case !ok:
		return false, false, ""
	case owner == "":
		return true, true, ""
	case owner == ours:
		return true, false, ""
	}
	return false, false, owner
}

// ownsBridge reports whether the data directory whose ID is ours may
// change or delete the bridge with alias alias: it made it, or a roost
// before data directory IDs did and plan found it this one's.
func ownsBridge(alias, ours string) bool {
	owned, _, _ := bridgeOwnership(alias, ours)
	return owned
}

// observeTap classifies the tap name with alias alias for the data
// directory whose ID is ours: a tap of ours (or legacy), or foreign with
// what it is, or neither when it bears no roost alias.
func observeTap(name, alias, ours string) (t plan.ObservedTap, foreign string, roost bool) {
	unikernel, device, owner, ok := plan.ParseTapAlias(alias)
	switch {
	case !ok:
		return plan.ObservedTap{}, "", false
	case owner != "" && owner != ours:
		return plan.ObservedTap{}, plan.OtherDataDirTap(unikernel, device, owner), true
	}
	return plan.ObservedTap{Name: name, Unikernel: unikernel, Device: device, Legacy: owner == ""}, "", true
}

// ownsTap reports whether the data directory whose ID is ours may delete
// the tap with alias alias.
func ownsTap(alias, ours string) bool {
	_, _, owner, ok := plan.ParseTapAlias(alias)
	return ok && (owner == "" || owner == ours)
}
