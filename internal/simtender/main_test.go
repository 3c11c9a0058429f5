package simtender_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roostd/roost/internal/simtender"
)

// helperEnv makes the test binary run simtender.Main instead of the tests:
// the TestHelperProcess pattern, for behaviour that ends the process.
const helperEnv = "ROOST_SIMTENDER_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(simtender.Main(os.Args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// tenders returns a directory holding solo5-hvt and solo5-spt, links to
// the test binary, which runs the simulator when started by helperCommand.
func tenders(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"solo5-hvt", "solo5-spt"} {
		if err := os.Symlink(exe, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// helperCommand sets cmd up to run the simulator: its environment says
// so. It returns the buffer that collects cmd's stderr.
func helperCommand(cmd *exec.Cmd) (stderr *bytes.Buffer) {
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	stderr = new(bytes.Buffer)
	cmd.Stderr = stderr
	return stderr
}

// startGuest starts cmd and returns a channel closed once cmd printed the
// line "started", and one that yields all of its stdout at EOF.
func startGuest(t *testing.T, cmd *exec.Cmd) (started <-chan struct{}, stdout <-chan string) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	startc, outc := make(chan struct{}), make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(out)
		closed := false
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if sc.Text() == "started" && !closed {
				close(startc)
				closed = true
			}
		}
		outc <- all.String()
	}()
	return startc, outc
}
