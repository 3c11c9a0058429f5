package platform

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQueryTenderMisbehaving: whatever a tender does for --version, roost
// gets an answer within the deadline, naming the tender and what went
// wrong (issue 8, finding 9).
func TestQueryTenderMisbehaving(t *testing.T) {
	defer func(d time.Duration) { versionTimeout = d }(versionTimeout)
	versionTimeout = 300 * time.Millisecond
	tests := []struct {
		name, script, want string
	}{
		{"ok", "echo 'solo5-hvt tender, version v0.9.0' >&2\necho 'ABI version 2' >&2\n", ""},
		{"hangs", "sleep 1000\n", "run TENDER --version: timed out after 300ms; its process group was killed"},
		{"grandchild-holds-output", "sleep 1000 &\nexit 0\n", `run TENDER --version: no "ABI version N" line in its output ""`},
		{"garbage", "printf '\\001\\377garbage\\n'\n", "run TENDER --version: no \"ABI version N\" line in its output \"\\x01\\xffgarbage\""},
		{"exit-1", "echo 'unknown option' >&2\nexit 1\n", `run TENDER --version: exit status 1 (it printed "unknown option")`},
		{"endless-output", "exec yes 'ABI version'\n", `run TENDER --version: timed out after 300ms; its process group was killed (it printed "ABI version")`},
		{"abi-overflow", "echo 'ABI version 99999999999' >&2\n", `run TENDER --version: ABI version "99999999999": strconv.ParseUint: parsing "99999999999": value out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "solo5-hvt")
			if err := os.WriteFile(p, []byte("#!/bin/sh\n"+tt.script), 0o755); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			tender, err := QueryTender(context.Background(), p)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("QueryTender took %v, want within the 300ms deadline", took)
			}
			if tt.want == "" {
				if err != nil || tender.ABIVersion != 2 || tender.Version != "solo5-hvt tender, version v0.9.0" {
					t.Errorf("QueryTender = %+v, %v; want ABI 2", tender, err)
				}
				return
			}
			want := strings.ReplaceAll(tt.want, "TENDER", p)
			if err == nil || err.Error() != want {
				t.Errorf("QueryTender error = %v\nwant %s", err, want)
			}
		})
	}
}
