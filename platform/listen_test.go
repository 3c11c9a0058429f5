//go:build unix

package platform_test

import (
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roostd/roost/platform"
)

// listenHelperEnv makes the test binary play a socket-activated roost: see
// TestHelperListen.
const listenHelperEnv = "ROOST_WANT_LISTEN_HELPER"

// listenVars are the variables of sd_listen_fds(3).
var listenVars = []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}

// TestHelperListen is no test: started by TestSystemdListeners with
// ROOST_WANT_LISTEN_HELPER=accept and a listening socket as fd 3, it does
// what systemd does between fork and exec, setting LISTEN_PID to its own
// pid, then takes the socket with SystemdListeners, checks the variables
// are gone, and answers one connection with its pid. With
// ROOST_WANT_LISTEN_HELPER=not-socket, fd 3 is a pipe and it expects an
// error naming the descriptor.
func TestHelperListen(t *testing.T) {
	mode := os.Getenv(listenHelperEnv)
	if mode == "" {
		return
	}
	os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	lns, err := platform.SystemdListeners()
	if mode == "not-socket" {
		if err == nil || !strings.Contains(err.Error(), "listen fd 3: ") {
			t.Fatalf("SystemdListeners() = %v, want error naming fd 3", err)
		}
		if lns != nil {
			t.Fatalf("SystemdListeners() = %d listeners, want none", len(lns))
		}
		return
	}
	if err != nil {
		t.Fatalf("SystemdListeners() = %v", err)
	}
	if len(lns) != 1 {
		t.Fatalf("SystemdListeners() = %d listeners, want 1", len(lns))
	}
	for _, v := range listenVars {
		if val, ok := os.LookupEnv(v); ok {
			t.Errorf("after SystemdListeners, %s = %q, want unset", v, val)
		}
	}
	ln := lns[0].(*net.TCPListener)
	defer ln.Close()
	ln.SetDeadline(time.Now().Add(10 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("Accept() = %v", err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, strconv.Itoa(os.Getpid())); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func TestSystemdListeners(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperListen$", "-test.v")
	cmd.Env = append(os.Environ(), listenHelperEnv+"=accept", "LISTEN_FDS=1", "LISTEN_FDNAMES=metrics")
	cmd.ExtraFiles = []*os.File{f} // fd 3
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child holds the socket now; only it can accept.
	f.Close()
	ln.Close()

	c, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("dial %s: %v\nhelper output:\n%s", ln.Addr(), err, out.String())
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Errorf("read from helper: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v\n%s", err, out.String())
	}
	if want := strconv.Itoa(cmd.Process.Pid); string(got) != want {
		t.Errorf("helper answered %q, want its pid %q", got, want)
	}
}

func TestSystemdListenersNotSocket(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperListen$", "-test.v")
	cmd.Env = append(os.Environ(), listenHelperEnv+"=not-socket", "LISTEN_FDS=1")
	cmd.ExtraFiles = []*os.File{r} // fd 3
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
}

// TestSystemdListenersNone covers the cases that must not touch any
// descriptor; they run in the test process, whose fd 3 is not a socket
// handed over by anyone.
func TestSystemdListenersNone(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		name    string
		env     map[string]string // unset when absent
		wantErr string
	}{
		{name: "absent", env: map[string]string{}},
		{name: "fds-without-pid", env: map[string]string{"LISTEN_FDS": "1"}},
		{name: "other-pid", env: map[string]string{"LISTEN_PID": strconv.Itoa(os.Getpid() + 1), "LISTEN_FDS": "1", "LISTEN_FDNAMES": "metrics"}},
		{name: "zero-fds", env: map[string]string{"LISTEN_PID": self, "LISTEN_FDS": "0"}},
		{name: "bad-pid", env: map[string]string{"LISTEN_PID": "x", "LISTEN_FDS": "1"}, wantErr: `parse LISTEN_PID "x"`},
		{name: "bad-fds", env: map[string]string{"LISTEN_PID": self, "LISTEN_FDS": "one"}, wantErr: `parse LISTEN_FDS "one"`},
		{name: "negative-fds", env: map[string]string{"LISTEN_PID": self, "LISTEN_FDS": "-1"}, wantErr: `parse LISTEN_FDS "-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range listenVars {
				t.Setenv(v, "") // restores the old value afterwards
				if val, ok := tt.env[v]; ok {
					os.Setenv(v, val)
				} else {
					os.Unsetenv(v)
				}
			}
			lns, err := platform.SystemdListeners()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("SystemdListeners() = %v, want no error", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("SystemdListeners() = %v, want error containing %q", err, tt.wantErr)
			}
			if lns != nil {
				t.Errorf("SystemdListeners() = %d listeners, want none", len(lns))
			}
			for _, v := range listenVars {
				if val, ok := os.LookupEnv(v); ok {
					t.Errorf("after SystemdListeners, %s = %q, want unset", v, val)
				}
			}
		})
	}
}
