//go:build integration && linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/roostd/roost/platform/datadir"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestBenchHelper is the live benchmarks' helper, run as a subprocess
// inside a benchmark's namespace (liveHost.helper), so that what it times
// runs there without `ip netns exec` in the measurement. It prints each
// time as a line "NAME-ns N". ROOST_BENCH_HELPER says what it does:
//
//   - floor: the floor of apply (issue 9): a bridge, then for each of
//     ROOST_BENCH_N unikernels a tap on it over netlink and a fork/exec of
//     the tender ROOST_BENCH_TENDER with the image ROOST_BENCH_IMAGE (net
//     device ROOST_BENCH_NETDEV; --ipv4 unless ROOST_BENCH_IPV4=0), in a
//     row, no supervision, no wait (start). With ROOST_BENCH_WAIT=1 each
//     start also waits for the tender's first console line. With
//     ROOST_BENCH_TEARDOWN=1 it then waits (untimed) until every tender
//     has printed, and times the floor of destroy: SIGTERM each tender,
//     wait for it, delete its tap, one by one, then the bridge (teardown).
//   - shell: the shell-out way to do what floor does: per unikernel
//     `ip tuntap add`, `ip link set up`, `ip link set master` and taskset
//     starting the tender (start).
//   - read: the floor of plan: walk $ROOST_DBDIR, read and decode every
//     spec.json and status.json, and dump the links once (read).
//   - time: run the JSON argv ROOST_BENCH_ARGV, which must exit 0 (run).
//
// Without ROOST_BENCH_HELPER it does nothing: it is not a test.
func TestBenchHelper(t *testing.T) {
	mode := os.Getenv("ROOST_BENCH_HELPER")
	switch mode {
	case "":
		return
	case "floor":
		helperFloor(t)
	case "shell":
		helperShell(t)
	case "read":
		helperRead(t)
	case "time":
		helperTime(t)
	default:
		t.Fatalf("unknown ROOST_BENCH_HELPER %q", mode)
	}
}

func printTime(name string, d time.Duration) { fmt.Printf("%s-ns %d\n", name, d.Nanoseconds()) }

// tenderArgv is the tender command line of fleet unikernel i on tap: its
// net device ROOST_BENCH_NETDEV, and --ipv4 unless ROOST_BENCH_IPV4=0.
func tenderArgv(tender, image, tap string, i int) []string {
	argv := []string{tender, "--mem=8", "--net:" + os.Getenv("ROOST_BENCH_NETDEV") + "=" + tap, "--", image}
	if os.Getenv("ROOST_BENCH_IPV4") != "0" {
		argv = append(argv, "--ipv4="+fleetAddr(i))
	}
	return argv
}

func helperFloor(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ROOST_BENCH_N"))
	tender, image := os.Getenv("ROOST_BENCH_TENDER"), os.Getenv("ROOST_BENCH_IMAGE")
	wait, teardown := os.Getenv("ROOST_BENCH_WAIT") == "1", os.Getenv("ROOST_BENCH_TEARDOWN") == "1"
	type unikernel struct {
		cmd    *exec.Cmd
		stdout *bufio.Reader
		tap    netlink.Link
	}
	var us []unikernel
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "floorbr"}}
	defer func() { // what the teardown did not remove
		for _, u := range us {
			if u.cmd.ProcessState == nil {
				unix.Kill(-u.cmd.Process.Pid, unix.SIGKILL)
				u.cmd.Wait()
			}
			netlink.LinkDel(u.tap)
		}
		netlink.LinkDel(br)
	}()

	start := time.Now()
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatalf("add bridge: %v", err)
	}
	addr, _ := netlink.ParseAddr("10.1.0.1/16")
	if err := netlink.AddrAdd(br, addr); err != nil {
		t.Fatalf("add address: %v", err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		tap := &netlink.Tuntap{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("floor%d", i), MasterIndex: br.Index},
			Mode: netlink.TUNTAP_MODE_TAP, Flags: netlink.TUNTAP_NO_PI | netlink.TUNTAP_ONE_QUEUE}
		if err := netlink.LinkAdd(tap); err != nil {
			t.Fatalf("add tap: %v", err)
		}
		for _, f := range tap.Fds {
			f.Close() // persistent: the tender attaches by name
		}
		if err := netlink.LinkSetUp(tap); err != nil {
			t.Fatal(err)
		}
		argv := tenderArgv(tender, image, tap.Name, i)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		u := unikernel{cmd: cmd, stdout: bufio.NewReader(stdout), tap: tap}
		us = append(us, u)
		if wait {
			if _, err := u.stdout.ReadString('\n'); err != nil {
				t.Fatalf("tender %d printed nothing: %v", i, err)
			}
		}
	}
	printTime("start", time.Since(start))
	if !teardown {
		return
	}
	if !wait {
		for i, u := range us {
			if _, err := u.stdout.ReadString('\n'); err != nil {
				t.Fatalf("tender %d printed nothing: %v", i, err)
			}
		}
	}
	start = time.Now()
	for _, u := range us {
		if err := unix.Kill(-u.cmd.Process.Pid, unix.SIGTERM); err != nil {
			t.Fatalf("kill tender: %v", err)
		}
		u.cmd.Wait() // it exits 1 on SIGTERM, as solo5-hvt does
		if err := netlink.LinkDel(u.tap); err != nil {
			t.Fatalf("delete tap: %v", err)
		}
	}
	if err := netlink.LinkDel(br); err != nil {
		t.Fatalf("delete bridge: %v", err)
	}
	printTime("teardown", time.Since(start))
}

func helperShell(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ROOST_BENCH_N"))
	tender, image := os.Getenv("ROOST_BENCH_TENDER"), os.Getenv("ROOST_BENCH_IMAGE")
	var procs []*exec.Cmd
	var taps []string
	defer func() {
		for _, p := range procs {
			unix.Kill(-p.Process.Pid, unix.SIGKILL)
			p.Wait()
		}
		for _, name := range taps {
			if l, err := netlink.LinkByName(name); err == nil {
				netlink.LinkDel(l)
			}
		}
		if l, err := netlink.LinkByName("shellbr"); err == nil {
			netlink.LinkDel(l)
		}
	}()
	run := func(argv ...string) {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, out)
		}
	}
	start := time.Now()
	run("ip", "link", "add", "shellbr", "type", "bridge")
	run("ip", "address", "add", "10.1.0.1/16", "dev", "shellbr")
	run("ip", "link", "set", "shellbr", "up")
	for i := range n {
		tap := fmt.Sprintf("shell%d", i)
		run("ip", "tuntap", "add", "dev", tap, "mode", "tap")
		taps = append(taps, tap)
		run("ip", "link", "set", tap, "up")
		run("ip", "link", "set", tap, "master", "shellbr")
		argv := append([]string{"taskset", "-c", strconv.Itoa(i % runtime.NumCPU())}, tenderArgv(tender, image, tap, i)...)
		cmd := exec.Command(argv[0], argv[1:]...) // taskset execs the tender: same pid
		cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
	}
	printTime("start", time.Since(start))
}

func helperRead(t *testing.T) {
	dbdir := os.Getenv("ROOST_DBDIR")
	start := time.Now()
	var specs, statuses int
	err := filepath.WalkDir(dbdir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var v any
		switch d.Name() {
		case "spec.json":
			v, specs = &datadir.Spec{}, specs+1
		case "status.json":
			v, statuses = &datadir.Status{}, statuses+1
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, v)
	})
	if err != nil {
		t.Fatalf("read %s: %v", dbdir, err)
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatalf("dump links: %v", err)
	}
	d := time.Since(start)
	if specs == 0 || statuses == 0 {
		t.Fatalf("read %s: %d specs, %d statuses", dbdir, specs, statuses)
	}
	fmt.Printf("read %d specs, %d statuses, %d links\n", specs, statuses, len(links))
	printTime("read", d)
}

func helperTime(t *testing.T) {
	var argv []string
	if err := json.Unmarshal([]byte(os.Getenv("ROOST_BENCH_ARGV")), &argv); err != nil || len(argv) == 0 {
		t.Fatalf("ROOST_BENCH_ARGV: %q (%v)", os.Getenv("ROOST_BENCH_ARGV"), err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, out)
	}
	printTime("run", d)
}
