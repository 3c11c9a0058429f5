package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/roostd/roost"

// deps returns the packages pkg depends on, transitively, by `go list
// -deps`.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+"/"+pkg).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	var pkgs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		pkgs = append(pkgs, sc.Text())
	}
	return pkgs
}

// leaves are the packages anything may import: pure, no host changes.
var leaves = map[string]bool{
	module + "/platform/datadir":   true,
	module + "/platform/proc":      true,
	module + "/platform/solo5":     true,
	module + "/internal/regfile":   true,
	module + "/internal/fault":     true,
	module + "/internal/compress":  true,
	module + "/internal/albatross": true,
}

func TestImportRules(t *testing.T) {
	tests := []struct {
		pkg  string
		rule string
		bad  func(dep string) bool
	}{
		{"plan", "plan imports nothing under platform: it gets an Observed snapshot", func(d string) bool {
			return strings.HasPrefix(d, module+"/platform")
		}},
		{"plan/planjson", "plan's JSON imports nothing under platform", func(d string) bool {
			return strings.HasPrefix(d, module+"/platform")
		}},
		{"plan/planfile", "saved plans import nothing under platform", func(d string) bool {
			return strings.HasPrefix(d, module+"/platform")
		}},
		{"config", "config imports only the image-inspection leaf of platform", func(d string) bool {
			return strings.HasPrefix(d, module+"/platform") && d != module+"/platform/solo5"
		}},
		{"apply", "apply gets a plan, not a configuration: it imports no config", func(d string) bool {
			return d == module+"/config"
		}},
		{"platform/shim", "the shim imports only the leaves and x/sys, so that it stays a small binary", shimDep},
		{"cmd/roost-shim", "roost-shim is package shim and the leaves, nothing more", shimDep},
	}
	for leaf := range leaves {
		pkg := strings.TrimPrefix(leaf, module+"/")
		tests = append(tests, struct {
			pkg  string
			rule string
			bad  func(dep string) bool
		}{pkg, "a leaf imports only other leaves and nothing heavy", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && !leaves[d] || heavy(d)
		}})
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.pkg, "/", "-"), func(t *testing.T) {
			for _, d := range deps(t, tt.pkg) {
				if tt.bad(d) {
					t.Errorf("%s depends on %s; %s", tt.pkg, d, tt.rule)
				}
			}
		})
	}
}

// shimDep reports whether dep has no place in the shim's binary.
func shimDep(dep string) bool {
	if strings.HasPrefix(dep, module+"/") {
		return dep != module+"/platform/shim" && dep != module+"/cmd/roost-shim" && !leaves[dep]
	}
	return heavy(dep)
}

// heavy reports whether a package is one of those the shim and the leaves
// must not pull in: each costs start-up time in every shim process.
func heavy(dep string) bool {
	for _, p := range []string{"github.com/hashicorp/hcl", "github.com/zclconf/go-cty", "github.com/prometheus/",
		"github.com/google/go-cmp", "google.golang.org/protobuf", "github.com/vishvananda/netlink", "github.com/fsnotify/"} {
		if strings.HasPrefix(dep, p) {
			return true
		}
	}
	return false
}
