package plan_test

import (
	"testing"

	"github.com/roostd/roost/plan"
)

func TestMiBText(t *testing.T) {
	tests := []struct {
		name     string
		bytes    int64
		decimals int
		want     string
	}{
		{"whole", 16 << 20, 2, "16 MiB"},
		{"zero", 0, 1, "0 MiB"},
		{"half-2", 17 << 19, 2, "8.50 MiB"},
		{"half-1", 17 << 19, 1, "8.5 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plan.MiBText(tt.bytes, tt.decimals); got != tt.want {
				t.Errorf("MiBText(%d, %d) = %q, want %q", tt.bytes, tt.decimals, got, tt.want)
			}
		})
	}
}
