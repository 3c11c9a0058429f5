package datadir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/internal/regfile"
)

// TestNoControllingTerminal plants a terminal (the slave of a pty this
// test opens, bind-mounted over spec.json in a mount namespace of the
// helper's own: a pty opens only through devpts) as a unikernel's
// spec.json, and has a process that leads a session of its own and has
// no terminal, as a shim does, read it through a held directory: it must
// not become that process's controlling terminal (Linux gives one to a
// session leader that opens a terminal for reading without O_NOCTTY).
func TestNoControllingTerminal(t *testing.T) {
	if dir := os.Getenv("ROOST_TEST_CTTY_DBDIR"); dir != "" {
		spec := filepath.Join(dir, "unikernels", "web", "spec.json")
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			fmt.Println("error", err)
			os.Exit(0)
		}
		if err := unix.Mount(os.Getenv("ROOST_TEST_CTTY_PTS"), spec, "", unix.MS_BIND, ""); err != nil {
			fmt.Println("error", err)
			os.Exit(0)
		}
		u, err := Dir(dir).OpenUnikernel("web")
		if err != nil {
			fmt.Println("error", err)
			os.Exit(0)
		}
		var v Spec
		if err := u.ReadJSON("spec.json", &v); !errors.Is(err, regfile.ErrNotRegular) {
			fmt.Println("error: ReadJSON of a terminal =", err)
			os.Exit(0)
		}
		stat, err := os.ReadFile("/proc/self/stat")
		if err != nil {
			fmt.Println("error", err)
			os.Exit(0)
		}
		// Field 7, tty_nr, is the fifth after the comm's closing parenthesis.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		fmt.Println("tty_nr", fields[4])
		os.Exit(0)
	}
	if os.Geteuid() != 0 {
		t.Skip("making a terminal's device node needs root")
	}
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ptmx.Close()
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	d := Dir(t.TempDir())
	mkdir(t, d.UnikernelsDir(), 0o700)
	mkdir(t, d.Unikernel("web"), 0o700)
	write(t, filepath.Join(d.Unikernel("web"), "spec.json"), "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestNoControllingTerminal$")
	cmd.WaitDelay = time.Second
	cmd.Env = append(os.Environ(), "ROOST_TEST_CTTY_DBDIR="+string(d), fmt.Sprintf("ROOST_TEST_CTTY_PTS=/dev/pts/%d", n))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("helper still runs after 20 s (a read of the terminal blocked?): %s", out)
	}
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	if !strings.HasPrefix(got, "tty_nr ") {
		t.Fatalf("helper could not open the terminal: %s", got)
	}
	if got != "tty_nr 0" {
		t.Errorf("a session leader that read a terminal planted as spec.json has it as its controlling terminal (%s), want none", got)
	}
}
