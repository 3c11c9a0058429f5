package fault

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

func TestParsePoint(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
		n        int
		bad      bool
	}{
		{"bare name", "apply.step.done", "apply.step.done", 1, false},
		{"count", "apply.step.done:3", "apply.step.done", 3, false},
		{"zero count", "apply.step.done:0", "", 0, true},
		{"bad count", "apply.step.done:x", "", 0, true},
		{"no name", ":2", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, n, err := parsePoint(tt.in)
			if (err != nil) != tt.bad || name != tt.want || n != tt.n {
				t.Errorf("parsePoint(%q) = %q, %d, %v; want %q, %d, error %v", tt.in, name, n, err, tt.want, tt.n, tt.bad)
			}
		})
	}
}

func TestParseChance(t *testing.T) {
	for _, in := range []string{"1", "x:10", "1:101", "1:-1"} {
		if _, err := parseChance(in, false); err == nil {
			t.Errorf("parseChance(%q) = nil error, want one", in)
		}
	}
	c, err := parseChance("7:100", false)
	if err != nil || c.percent != 100 {
		t.Errorf("parseChance(7:100) = %+v, %v", c, err)
	}
}

func TestEnviron(t *testing.T) {
	t.Setenv(Env, "apply.step.done")
	t.Setenv(ShimEnv, "shim.locked")
	t.Setenv(EnvTrace, "/dev/null")
	for _, kv := range Environ() {
		if strings.HasPrefix(kv, "ROOST_FAULT") || strings.HasPrefix(kv, "ROOST_SHIM_FAULT") {
			t.Errorf("Environ() keeps %q", kv)
		}
	}
}

// TestHelperProcess is the child of TestPointKills: it reaches
// apply.step.done three times and exits 0 unless killed.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("FAULT_HELPER") != "1" {
		t.Skip("helper process of TestPointKills")
	}
	for range 3 {
		Point("shim.locked")
		Point("apply.step.done")
	}
	os.Exit(0)
}

func TestPointKills(t *testing.T) {
	tests := []struct {
		name   string
		env    []string
		killed bool
		trace  int // lines in the trace
	}{
		{"unarmed", nil, false, 0},
		{"first reach", []string{Env + "=apply.step.done"}, true, 2},
		{"third reach", []string{Env + "=apply.step.done:3"}, true, 6},
		{"past the reaches", []string{Env + "=apply.step.done:4"}, false, 6},
		{"shim point needs the shim variable", []string{Env + "=shim.locked"}, false, 6},
		{"shim variable", []string{ShimEnv + "=shim.locked:2"}, true, 3},
		{"random always", []string{EnvRandom + "=1:100"}, true, 2},
		{"random never", []string{EnvRandom + "=1:0"}, false, 6},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "-"), func(t *testing.T) {
			trace := t.TempDir() + "/trace"
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), "FAULT_HELPER=1")
			cmd.Env = append(cmd.Env, tt.env...)
			if tt.trace > 0 {
				cmd.Env = append(cmd.Env, EnvTrace+"="+trace)
			}
			err := cmd.Run()
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if killed := ws.Signaled() && ws.Signal() == syscall.SIGKILL; killed != tt.killed {
				t.Errorf("killed = %v (%v), want %v", killed, err, tt.killed)
			}
			if tt.trace > 0 {
				b, _ := os.ReadFile(trace)
				if got := strings.Count(string(b), "\n"); got != tt.trace {
					t.Errorf("trace has %d lines, want %d:\n%s", got, tt.trace, b)
				}
			}
		})
	}
}
