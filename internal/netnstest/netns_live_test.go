//go:build integration

package netnstest_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/roostd/roost/internal/netnstest"
)

func TestNew(t *testing.T) {
	var path string
	t.Run("live", func(t *testing.T) {
		ns := netnstest.New(t)
		path = ns.Path()
		if !strings.HasPrefix(ns.Name(), "roosttest-") {
			t.Errorf("Name() = %q, want a roosttest- prefix", ns.Name())
		}
		out, err := exec(t, ns, "ip", "netns", "list")
		if err != nil || !strings.Contains(out, ns.Name()) {
			t.Errorf("ip netns list = %q, %v; want it to list %s", out, err, ns.Name())
		}

		host, err := os.Readlink("/proc/thread-self/ns/net")
		if err != nil {
			t.Fatal(err)
		}
		var inside string
		var lo net.Flags
		err = ns.Do(func() error {
			var err error
			if inside, err = os.Readlink("/proc/thread-self/ns/net"); err != nil {
				return err
			}
			ifs, err := net.Interfaces()
			if err != nil {
				return err
			}
			if len(ifs) != 1 || ifs[0].Name != "lo" {
				return errors.New("want lo alone in a new namespace")
			}
			lo = ifs[0].Flags
			return nil
		})
		if err != nil {
			t.Fatalf("Do = %v", err)
		}
		if inside == host {
			t.Errorf("Do ran in the host's namespace %s", host)
		}
		if lo&net.FlagUp == 0 {
			t.Errorf("lo flags = %v, want up", lo)
		}

		out, err = exec(t, ns, "readlink", "/proc/self/ns/net")
		if err != nil || strings.TrimSpace(out) != inside {
			t.Errorf("Command readlink /proc/self/ns/net = %q, %v; want %s", out, err, inside)
		}
	})
	if path == "" {
		return // skipped
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the test, stat %s = %v, want it gone", path, err)
	}
}

func exec(t *testing.T, ns *netnstest.NS, name string, args ...string) (string, error) {
	t.Helper()
	out, err := ns.Command(context.Background(), name, args...).CombinedOutput()
	return string(out), err
}
