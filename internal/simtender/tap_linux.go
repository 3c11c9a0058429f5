package simtender

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// tapOpen attaches to the existing tap ifname as tap_attach.c does on
// Linux: the interface must exist and be up, since opening /dev/net/tun
// with an unknown name would create one.
func tapOpen(ifname string) (*os.File, int, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, 0, err
	}
	found, up := false, false
	for _, ifi := range ifs {
		if ifi.Name == ifname {
			found = true
			up = ifi.Flags&(net.FlagUp|net.FlagRunning) != 0
			break
		}
	}
	if !found {
		return nil, 0, unix.ENOENT
	}
	if !up {
		return nil, 0, unix.ENETDOWN
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, err
	}
	ifr, err := unix.NewIfreq(ifname)
	if err != nil {
		unix.Close(fd)
		return nil, 0, err
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, 0, err
	}
	// A name such as "tap%d" makes the kernel pick another device.
	if ifr.Name() != ifname {
		unix.Close(fd)
		return nil, 0, unix.EINVAL
	}
	mtu, err := interfaceMTU(ifname)
	if err != nil {
		unix.Close(fd)
		return nil, 0, err
	}
	// Solo5 also turns GRO and GSO off with SIOCETHTOOL and ignores the
	// result; the simulator reads into a 64 KiB buffer and does not.
	return os.NewFile(uintptr(fd), "/dev/net/tun"), mtu, nil
}

func interfaceMTU(ifname string) (int, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq(ifname)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFMTU, ifr); err != nil {
		return 0, err
	}
	return int(ifr.Uint32()), nil
}
