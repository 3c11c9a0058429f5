package proc

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadStat reads this process and a child as /proc shows them, and a
// process that is gone.
func TestReadStat(t *testing.T) {
	me, err := ReadStat(os.Getpid())
	if err != nil {
		t.Fatalf("ReadStat(self) = %v", err)
	}
	if !strings.HasPrefix("proc.test", me.Comm) || me.State != "R" && me.State != "S" || me.StartTime == 0 {
		t.Errorf("ReadStat(self) = %+v, want comm proc.test, state R or S, a start time", me)
	}
	// A comm with a space and a parenthesis, as /proc prints it.
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(t.TempDir(), "a (b) c")
	if err := os.WriteFile(odd, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer cmd.Process.Kill()
	st, err := ReadStat(pid)
	if err != nil || st.Comm != "a (b) c" {
		t.Errorf("ReadStat(child) = %+v, %v; want comm %q", st, err, "a (b) c")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := ReadStat(pid); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadStat(reaped child) = %v, want fs.ErrNotExist", err)
	}
}
