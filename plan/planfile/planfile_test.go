package planfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planfile"
	"github.com/roostd/roost/plan/planjson"
)

func saved() *planfile.File {
	return &planfile.File{
		RoostVersion: "test", CreatedAt: "2026-11-27T09:00:00Z", Dir: "/etc/roost", DBDir: "/var/lib/roost",
		Vars: []string{"mem=64"}, Targets: []string{"web"},
		Plan: &planjson.Plan{FormatVersion: planjson.FormatVersion, Changes: []planjson.Change{}, ConfigFingerprint: "c", HostFingerprint: "h"},
	}
}

// TestWriteRead writes a plan file and reads it back.
func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := planfile.Write(path, saved()); err != nil {
		t.Fatal(err)
	}
	got, err := planfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := saved()
	want.FormatVersion, want.Kind = planjson.FormatVersion, planfile.Kind
	want.OptionsDigest = want.Options().Digest()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read(Write(f)) mismatch (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

// TestReadRefuses reads files that are not plan files this roost reads.
func TestReadRefuses(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not-json", "block \"data\" {}\n", "is neither a directory nor a plan file written by roost plan -out"},
		{"other-kind", `{"format_version":"1","kind":"terraform"}`, "is neither a directory nor a plan file written by roost plan -out"},
		{"other-version", `{"format_version":"0","kind":"roost-plan"}`, `has format version "0"; this roost reads "1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := planfile.Read(path); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckFresh(t *testing.T) {
	tests := []struct {
		name         string
		config, host string
		want         string // "" for fresh
	}{
		{"fresh", "c", "h", ""},
		{"config-changed", "c2", "h", "plan is stale: the configuration in /etc/roost changed since the plan was made (2026-11-27T09:00:00Z); run roost plan again"},
		{"host-changed", "c", "h2", "plan is stale: the host changed since the plan was made (2026-11-27T09:00:00Z); run roost plan again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := saved().CheckFresh(&plan.Plan{ConfigFingerprint: tt.config, HostFingerprint: tt.host})
			got := ""
			if err != nil {
				got = err.Error()
				if !errors.Is(err, planfile.ErrStale) {
					t.Errorf("CheckFresh = %v, not ErrStale", err)
				}
			}
			if got != tt.want {
				t.Errorf("CheckFresh = %q, want %q", got, tt.want)
			}
		})
	}
}
