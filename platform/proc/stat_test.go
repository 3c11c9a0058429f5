package proc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// statTail is /proc/PID/stat after the comm field of a real process, with
// utime 7, stime 3 and starttime 129363.
const statTail = " R 5767 5767 30957 0 -1 4194304 99 0 0 0 7 3 0 0 20 0 1 0 129363 3133440 412 18446744073709551615 93863082987520 93863083007401 140735350503424 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Stat
		wantErr bool
	}{
		{name: "plain", in: "5772 (cat)" + statTail, want: Stat{Comm: "cat", State: "R", UTime: 7, STime: 3, StartTime: 129363}},
		{name: "comm-with-spaces", in: "5772 (solo5 hvt x)" + statTail, want: Stat{Comm: "solo5 hvt x", State: "R", UTime: 7, STime: 3, StartTime: 129363}},
		{name: "comm-with-parentheses", in: "5772 (a) (b) 1 2)" + statTail, want: Stat{Comm: "a) (b) 1 2", State: "R", UTime: 7, STime: 3, StartTime: 129363}},
		{name: "comm-empty", in: "5772 ()" + statTail, want: Stat{Comm: "", State: "R", UTime: 7, STime: 3, StartTime: 129363}},
		{name: "zombie", in: "7 (a) b (c)) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12 0 0", want: Stat{Comm: "a) b (c)", State: "Z", StartTime: 12}},
		{name: "no-comm", in: "5772 cat R 1 2 3", wantErr: true},
		{name: "truncated", in: "5772 (cat) R 5767 5767 30957 0 -1 4194304 99 0 0 0 7 3", wantErr: true},
		{name: "not-a-number", in: "5772 (cat) R 5767 5767 30957 0 -1 4194304 99 0 0 0 x 3 0 0 20 0 1 0 129363 3133440", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Errorf("ParseStat(%q) = %+v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseStat(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseStat(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
