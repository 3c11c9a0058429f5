package planfile_test

import (
	"strings"
	"testing"

	"github.com/roostd/roost/plan/planfile"
)

// FuzzReadPlanFile fuzzes Parse, the plan file reader behind Read: a plan
// file is untrusted input (issue 8), so no contents may panic it, every
// error names the file, and whatever it accepts is a plan apply can run
// (a plan, absolute directories, options matching their digest). The seed
// corpus is in testdata/fuzz/FuzzReadPlanFile.
func FuzzReadPlanFile(f *testing.F) {
	f.Add([]byte(`{"kind":"roost-plan","format_version":"1","dir":"/etc/roost"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		const name = "fuzz.plan"
		got, err := planfile.Parse(name, b)
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("Parse error %q does not name the file", err)
			}
			return
		}
		if got.Plan == nil || got.Plan.Changes == nil {
			t.Fatalf("Parse accepted a file without a plan: %+v", got)
		}
		if !strings.HasPrefix(got.Dir, "/") || !strings.HasPrefix(got.DBDir, "/") {
			t.Errorf("Parse accepted relative directories %q, %q", got.Dir, got.DBDir)
		}
		if got.OptionsDigest != got.Options().Digest() {
			t.Errorf("Parse accepted options that do not match their digest")
		}
	})
}
