package platform

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []int
		wantErr bool
	}{
		{name: "ranges-and-singles", in: "0-3,5,7-8\n", want: []int{0, 1, 2, 3, 5, 7, 8}},
		{name: "single", in: "0", want: []int{0}},
		{name: "one-range", in: "0-1", want: []int{0, 1}},
		{name: "degenerate-range", in: "4-4", want: []int{4}},
		{name: "empty", in: "\n", want: []int{}},
		{name: "reversed-range", in: "3-1", wantErr: true},
		{name: "garbage", in: "a-b", wantErr: true},
		{name: "trailing-comma", in: "0,", wantErr: true},
		{name: "negative", in: "-1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPUList(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Errorf("parseCPUList(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseCPUList(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseCPUList(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseMemTotal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{name: "first-line", in: "MemTotal:       16318412 kB\nMemFree:         1234 kB\n", want: 15935},
		{name: "later-line", in: "Foo: 1 kB\nMemTotal: 2048 kB\n", want: 2},
		{name: "less-than-a-mib", in: "MemTotal: 1000 kB\n", want: 0},
		{name: "missing", in: "MemFree: 1 kB\n", wantErr: true},
		{name: "no-unit", in: "MemTotal: 1000\n", wantErr: true},
		{name: "not-a-number", in: "MemTotal: lots kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMemTotal([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Errorf("parseMemTotal(%q) = %d, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseMemTotal(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseStatm(t *testing.T) {
	if got, err := parseStatm([]byte("783 412 372 5 0 109 0\n")); err != nil || got != 412 {
		t.Errorf("parseStatm = %d, %v, want 412", got, err)
	}
	if got, err := parseStatm([]byte("783")); err == nil {
		t.Errorf("parseStatm(one field) = %d, want an error", got)
	}
}
