package planfile

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planjson"
)

// ErrStale means a saved plan no longer fits the configuration or the
// host, or was changed since roost plan wrote it.
var ErrStale = errors.New("plan is stale")

// CheckFresh compares p, a plan made again from what f records, with the
// saved one, and returns an error wrapping ErrStale that names the
// difference: the configuration or the host changed, or the changes
// differ (an action, an address, a field), so that what runs is exactly
// what was shown.
func (f *File) CheckFresh(p *plan.Plan) error {
	switch {
	case f.Plan.ConfigFingerprint != p.ConfigFingerprint:
		return fmt.Errorf("%w: the configuration in %s changed since the plan was made (%s); run roost plan again", ErrStale, f.Dir, f.CreatedAt)
	case f.Plan.HostFingerprint != p.HostFingerprint:
		return fmt.Errorf("%w: the host changed since the plan was made (%s); run roost plan again", ErrStale, f.CreatedAt)
	case f.Plan.Destroy != p.Destroy:
		return fmt.Errorf("%w: the saved plan has destroy %t, the plan made again %t; run roost plan again", ErrStale, f.Plan.Destroy, p.Destroy)
	}
	if d := diffChanges(f.Plan.Changes, planjson.FromPlan(p).Changes); d != "" {
		return fmt.Errorf("%w: %s; run roost plan again", ErrStale, d)
	}
	return nil
}

// diffChanges names the first difference between the saved changes and
// the ones made again, by address, or returns "".
func diffChanges(saved, now []planjson.Change) string {
	index := func(cs []planjson.Change) map[string]planjson.Change {
		m := map[string]planjson.Change{}
		for _, c := range cs {
			m[c.Address] = c
		}
		return m
	}
	s, n := index(saved), index(now)
	var addrs []string
	for a := range s {
		addrs = append(addrs, a)
	}
	for a := range n {
		if _, ok := s[a]; !ok {
			addrs = append(addrs, a)
		}
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		sc, inSaved := s[a]
		nc, inNow := n[a]
		switch {
		case !inNow:
			return fmt.Sprintf("the saved plan would %s %s, which the plan made again does not", sc.Action, a)
		case !inSaved:
			return fmt.Sprintf("the plan made again would %s %s, which the saved plan does not", nc.Action, a)
		case sc.Action != nc.Action:
			return fmt.Sprintf("the saved plan would %s %s, the plan made again would %s it", sc.Action, a, nc.Action)
		case !slices.Equal(sc.Fields, nc.Fields):
			return fmt.Sprintf("the fields that change of %s differ: saved %s, made again %s", a, fieldsText(sc.Fields), fieldsText(nc.Fields))
		}
	}
	return ""
}

func fieldsText(fs []planjson.Field) string {
	if len(fs) == 0 {
		return "none"
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%s %q -> %q", f.Name, f.Before, f.After)
	}
	return strings.Join(parts, ", ")
}
