package config_test

import (
	"strings"
	"testing"

	"github.com/roostd/roost/config"
)

// TestUnikernelUIDs checks the roost block's unikernel_uids (issue 13).
func TestUnikernelUIDs(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		want      [2]int
		diag      string
	}{
		{"unset", `roost {}`, [2]int{}, ""},
		{"range", `roost { unikernel_uids = [5000, 5999] }`, [2]int{5000, 5999}, ""},
		{"one uid", `roost { unikernel_uids = [5000, 5000] }`, [2]int{5000, 5000}, ""},
		{"reversed", `roost { unikernel_uids = [5999, 5000] }`, [2]int{}, "Invalid uid range"},
		{"three", `roost { unikernel_uids = [1, 2, 3] }`, [2]int{}, "Invalid uid range"},
		{"root", `roost { unikernel_uids = [0, 10] }`, [2]int{}, "between 1 and"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"main.hcl": tt.src})
			cfg, diags := config.Load(dir, config.Options{Environ: []string{}})
			if tt.diag == "" && diags.HasErrors() {
				t.Fatalf("Load: %s", diags.Error())
			}
			if tt.diag != "" && !strings.Contains(diags.Error(), tt.diag) {
				t.Fatalf("Load diagnostics = %q, want %q", diags.Error(), tt.diag)
			}
			if cfg.Settings.UIDs != tt.want {
				t.Errorf("UIDs = %v, want %v", cfg.Settings.UIDs, tt.want)
			}
		})
	}
}
