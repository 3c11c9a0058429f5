package simtender_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/internal/simtender"
)

var (
	guestMAC = [6]byte{0x02, 0, 0, 0, 0, 0x01}
	hostMAC  = [6]byte{0x02, 0, 0, 0, 0, 0x02}
	guestIP  = [4]byte{192, 0, 2, 2}
	hostIP   = [4]byte{192, 0, 2, 1}
)

// TestServeDescriptor runs serve on a net device passed as @3, a packet
// socket standing in for a tap, so that it needs no root.
func TestServeDescriptor(t *testing.T) {
	p := fixture(t)
	bin := tenders(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	host, guest := os.NewFile(uintptr(fds[0]), "host"), os.NewFile(uintptr(fds[1]), "guest")
	defer host.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "solo5-hvt"),
		"--net:service=@3", "--net-mac:service=02:00:00:00:00:01", "--", p["net"],
		"--ipv4=192.0.2.2/24", "--sim=print started; serve")
	cmd.ExtraFiles = []*os.File{guest}
	stderr := helperCommand(cmd)
	started, stdout := startGuest(t, cmd)
	guest.Close()
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatalf("no \"started\" line; stdout %q", <-stdout)
	}
	host.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)

	if _, err := host.Write(simtender.ARPRequestFrame(hostMAC, hostIP, guestIP)); err != nil {
		t.Fatal(err)
	}
	n, err := host.Read(buf)
	if err != nil {
		t.Fatalf("read ARP reply: %v", err)
	}
	arp := buf[14:n]
	if n != 42 || !bytes.Equal(buf[0:6], hostMAC[:]) || binary.BigEndian.Uint16(arp[6:]) != 2 ||
		!bytes.Equal(arp[8:14], guestMAC[:]) || !bytes.Equal(arp[14:18], guestIP[:]) {
		t.Errorf("ARP reply = %x, want %x is-at %x for %x", buf[:n], guestIP, guestMAC, hostMAC)
	}

	if _, err := host.Write(simtender.EchoRequestFrame(guestMAC, hostMAC, hostIP, guestIP, 1, "roost")); err != nil {
		t.Fatal(err)
	}
	n, err = host.Read(buf)
	if err != nil {
		t.Fatalf("read echo reply: %v", err)
	}
	ip, icmp := buf[14:34], buf[34:n]
	if simtender.Checksum(ip) != 0 || !bytes.Equal(ip[12:16], guestIP[:]) || !bytes.Equal(ip[16:20], hostIP[:]) ||
		simtender.Checksum(icmp) != 0 || icmp[0] != 0 || string(icmp[8:]) != "roost" {
		t.Errorf("echo reply = %x, want an ICMP echo reply from %x to %x with payload \"roost\"", buf[:n], guestIP, hostIP)
	}

	if err := cmd.Process.Signal(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-stdout
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 1 || stderr.String() != "solo5-hvt: Exiting on signal 15\n" {
		t.Errorf("after SIGTERM: exit code %d, stderr %q; want 1, %q", code, stderr.String(), "solo5-hvt: Exiting on signal 15\n")
	}
}
