package datadir

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestTempNames checks the temporary-name matchers against the regular
// expressions they spell out (temps.go), on names made of the pieces that
// matter, at random, and on a few by hand.
func TestTempNames(t *testing.T) {
	cases := []struct {
		name  string
		match func(string) bool
		re    *regexp.Regexp
	}{
		{"top", tempTop, regexp.MustCompile(`^(\.tmp-.*|\.(applied\.json|roost\.dbdir)\d+)$`)},
		{"block", tempBlock, regexp.MustCompile(`^\.[a-z0-9][a-z0-9.-]*\.tmp\d+$`)},
		{"image", tempImage, regexp.MustCompile(`^\.[0-9a-f]{12}\.tmp\d+$`)},
		{"unikernel", tempUnikernel, regexp.MustCompile(`^(\.tmp-.*|\.(spec|status)\.json\d+)$`)},
	}
	pieces := []string{".", "tmp", "-", "0", "7", "a", "f", "z", "A", "json", "spec", "status", "applied", "roost", "dbdir",
		".tmp", ".tmp-", ".spec.json", ".status.json", ".applied.json", ".roost.dbdir", "0123456789ab", "x", "_", " ", "\n"}
	names := []string{"", ".", ".tmp", ".tmp-", ".tmp-x", ".spec.json", ".spec.json1", ".status.json42", ".applied.json7",
		".roost.dbdir3", ".data.tmp12", ".a.tmp1.tmp2", ".-a.tmp1", ".a.tmp", ".0123456789ab.tmp5", ".0123456789AB.tmp5",
		".0123456789a.tmp5", "spec.json1", ".tmp-a\nb", ".spec.json1\n"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		n := ""
		for range r.IntN(6) {
			n += pieces[r.IntN(len(pieces))]
		}
		names = append(names, n)
	}
	for _, c := range cases {
		for _, n := range names {
			if got, want := c.match(n), c.re.MatchString(n); got != want {
				t.Errorf("%s(%q) = %v, want %v", c.name, n, got, want)
			}
		}
	}
}
