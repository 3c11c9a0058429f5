package views

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestClip cuts at a word's end, or within a long word at a character's
// start, never inside one.
func TestClip(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"short", "short"},
		{"/dev/kvm is mode 0600, group root: an unprivileged hvt tender", "/dev/kvm is mode 0600, group root: an…"},
		{"/srv/roost/images/webserveur-ünïkernel-für-dïe-prödüktion.hvt: not found", "/srv/roost/images/webserveur-ünïkernel-für-d…"},
		{strings.Repeat("ü", 40), strings.Repeat("ü", 24) + "…"},
	} {
		got := clip(tt.in, 48)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("clip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
