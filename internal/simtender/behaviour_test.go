package simtender

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestParseBehaviour(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []directive
		err  string
	}{
		{"empty-is-serve", "", []directive{{op: "serve"}}, ""},
		{"blank-is-serve", " ;\n ; ", []directive{{op: "serve"}}, ""},
		{"separators", "print a b;print c\nexit 3\n", []directive{
			{op: "print", text: "a b"}, {op: "print", text: "c"}, {op: "exit", n: 3}}, ""},
		{"print-nothing", "print", []directive{{op: "print"}}, ""},
		{"blanks", "  print \t two  spaces  ", []directive{{op: "print", text: "two  spaces"}}, ""},
		{"durations", "sleep 1.5s; tick 100ms", []directive{{op: "sleep", dur: 1500 * time.Millisecond}, {op: "tick", dur: 100 * time.Millisecond}}, ""},
		{"signals", "signal SEGV; signal sigabrt; signal 9", []directive{
			{op: "signal", sig: unix.SIGSEGV}, {op: "signal", sig: unix.SIGABRT}, {op: "signal", sig: unix.SIGKILL}}, ""},
		{"no-argument-ones", "abort;serve;args", []directive{{op: "abort"}, {op: "serve"}, {op: "args"}}, ""},
		{"block", "block-write storage 0x200 hello,  world ; block-read storage 512 12", []directive{
			{op: "block-write", dev: "storage", off: 512, text: "hello,  world"},
			{op: "block-read", dev: "storage", off: 512, len: 12}}, ""},
		{"unknown", "print a; frobnicate 3", nil, "unknown directive frobnicate"},
		{"spin", "spin 60ms; exit 1", []directive{{op: "spin", dur: 60 * time.Millisecond}, {op: "exit", n: 1}}, ""},
		{"spin-too-long", "spin 1h", nil, `spin: invalid duration "1h"`},
		{"bad-sleep", "sleep 5", nil, `sleep: invalid duration "5"`},
		{"negative-sleep", "sleep -1s", nil, `sleep: invalid duration "-1s"`},
		{"zero-tick", "tick 0s", nil, `tick: invalid duration "0s"`},
		{"bad-exit", "exit", nil, `exit: invalid status ""`},
		{"bad-signal", "signal 0", nil, `signal: unknown signal "0"`},
		{"abort-with-argument", "abort now", nil, `abort: unexpected argument "now"`},
		{"block-write-short", "block-write storage 0", nil, `block-write: want NAME OFFSET TEXT, have "storage 0"`},
		{"block-write-bad-offset", "block-write storage -1 x", nil, `block-write: invalid offset "-1"`},
		{"block-read-huge", "block-read storage 0 2000000", nil, `block-read: invalid length "2000000" (at most 1048576)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBehaviour(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("parseBehaviour(%q) = %v, want error %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseBehaviour(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(directive{})); diff != "" {
				t.Errorf("parseBehaviour(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
