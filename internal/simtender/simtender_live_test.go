//go:build integration && linux

package simtender_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/roostd/roost/internal/netnstest"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/solo5"
)

// addTap creates the persistent tap name in ns, with 192.0.2.1/24, up or
// down, as roost's platform creates taps.
func addTap(t *testing.T, ns *netnstest.NS, name string, up bool) {
	t.Helper()
	err := ns.Do(func() error {
		la := netlink.NewLinkAttrs()
		la.Name = name
		tap := &netlink.Tuntap{LinkAttrs: la, Mode: netlink.TUNTAP_MODE_TAP, Flags: netlink.TUNTAP_DEFAULTS | netlink.TUNTAP_NO_PI}
		if err := netlink.LinkAdd(tap); err != nil {
			return err
		}
		addr, err := netlink.ParseAddr("192.0.2.1/24")
		if err != nil {
			return err
		}
		if err := netlink.AddrAdd(tap, addr); err != nil {
			return err
		}
		if up {
			return netlink.LinkSetUp(tap)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("add tap %s: %v", name, err)
	}
}

// reap kills cmd, by its pid, if the test ends while it runs.
func reap(t *testing.T, cmd *exec.Cmd) {
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
}

func TestLiveServe(t *testing.T) {
	ns := netnstest.New(t)
	p := fixture(t)
	bin := tenders(t)
	img := filepath.Join(p["dir"], "serve.hvt")
	if err := solo5test.Write(img, solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "print started\nserve"}); err != nil {
		t.Fatal(err)
	}
	addTap(t, ns, "simtap0", true)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := ns.Command(ctx, filepath.Join(bin, "solo5-hvt"), "--mem=32", "--net:service=simtap0", "--", img, "--ipv4=192.0.2.2/24")
	stderr := helperCommand(cmd)
	started, stdout := startGuest(t, cmd)
	reap(t, cmd)
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatalf("no \"started\" line; stdout %q, stderr %q", <-stdout, stderr)
	}

	if out, err := ns.Command(ctx, "ping", "-c", "1", "-W", "1", "192.0.2.2").CombinedOutput(); err != nil {
		t.Errorf("ping -c 1 -W 1 192.0.2.2 = %v\n%s", err, out)
	}

	// A tap takes one tender at a time.
	second := ns.Command(ctx, filepath.Join(bin, "solo5-hvt"), "--net:service=simtap0", "--", img)
	secondErr := helperCommand(second)
	second.Run()
	if code, want := second.ProcessState.ExitCode(), "solo5-hvt: Could not attach interface: simtap0: Device or resource busy\n"; code != 1 || !strings.HasPrefix(secondErr.String(), want) {
		t.Errorf("second tender on simtap0: exit code %d, stderr %q; want 1, %q...", code, secondErr, want)
	}

	if err := cmd.Process.Signal(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-stdout
	cmd.Wait()
	if code, want := cmd.ProcessState.ExitCode(), "solo5-hvt: Exiting on signal 15\n"; code != 1 || stderr.String() != want {
		t.Errorf("after SIGTERM: exit code %d (%v), stderr %q; want 1, %q", code, cmd.ProcessState, stderr, want)
	}
}

func TestLiveTapDown(t *testing.T) {
	ns := netnstest.New(t)
	p := fixture(t)
	bin := tenders(t)
	addTap(t, ns, "simtap1", false)
	tests := []struct {
		name  string
		iface string
		errno string
	}{
		{"down", "simtap1", "Network is down"},
		{"missing", "simtap9", "No such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			arg := "--net:service=" + tt.iface
			cmd := ns.Command(ctx, filepath.Join(bin, "solo5-hvt"), arg, p["net"])
			stderr := helperCommand(cmd)
			out, _ := cmd.Output()
			want := "solo5-hvt: Could not attach interface: " + tt.iface + ": " + tt.errno + "\n" +
				"solo5-hvt: Invalid option: `" + arg + "'\n" + hvtUsage("solo5-hvt")
			if code := cmd.ProcessState.ExitCode(); code != 1 || stderr.String() != want || len(out) != 0 {
				t.Errorf("exit code %d, stdout %q, stderr %q; want 1, nothing, %q", code, out, stderr, want)
			}
		})
	}
}
