package platform

import (
	"context"
	"errors"
	"fmt"
	"github.com/roostd/roost/plan"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// watchDrift subscribes to link updates over rtnetlink in the Host's
// namespace, and waits on a pidfd per live shim.
func (h *Host) watchDrift(ctx context.Context, out chan<- Drift) (func(), error) {
	nl, ok := h.os.(*nlHost)
	if !ok {
		return func() {}, fmt.Errorf("watch host drift: %w", errors.ErrUnsupported)
	}
	subscribe := func() (chan netlink.LinkUpdate, error) {
		updates := make(chan netlink.LinkUpdate, 256)
		opts := netlink.LinkSubscribeOptions{
			ErrorCallback:     func(err error) { h.log.Warn("link subscription", "err", err) },
			ReceiveBufferSize: 4 << 20, // a burst of link events is no ENOBUFS
		}
		if nl.nsFD >= 0 {
			ns := netns.NsHandle(nl.nsFD)
			opts.Namespace = &ns
		}
		if err := netlink.LinkSubscribeWithOptions(updates, ctx.Done(), opts); err != nil {
			return nil, fmt.Errorf("subscribe to link updates: %w", err)
		}
		return updates, nil
	}
	updates, err := subscribe()
	if err != nil {
		return func() {}, err
	}
	go func() {
		for {
			for u := range updates {
				if d, ok := linkDrift(u); ok {
					send(ctx, out, d)
				}
			}
			// The library closes the channel on a receive error (events
			// lost, say): subscribe again, and have the host looked at,
			// since what was lost is unknown.
			for ctx.Err() == nil {
				if updates, err = subscribe(); err == nil {
					break
				}
				h.log.Warn("resubscribe to link updates", "err", err)
				select {
				case <-time.After(time.Second):
				case <-ctx.Done():
				}
			}
			if ctx.Err() != nil {
				return
			}
			send(ctx, out, Drift{Kind: "link", Message: "link events were lost; looking at every link again"})
		}
	}()
	sw, err := newShimWatch(h, out)
	if err != nil {
		h.log.Warn("shim exits are noticed at the next resync only", "err", err)
		return func() {}, nil
	}
	go sw.run(ctx)
	sw.refresh()
	return sw.refresh, nil
}

func send(ctx context.Context, out chan<- Drift, d Drift) {
	select {
	case out <- d:
	case <-ctx.Done():
	}
}

// linkDrift turns a link update into drift when it concerns a roost tap or
// a bridge: removed, down, or (a tap) no longer enslaved.
func linkDrift(u netlink.LinkUpdate) (Drift, bool) {
	a := u.Link.Attrs()
	if a == nil {
		return Drift{}, false
	}
	what := ""
	unikernel, device, _, isTap := plan.ParseTapAlias(a.Alias)
	switch {
	case u.Link.Type() == "bridge":
		// Before the tap alias: a bridge's alias parses as one.
		what = "bridge " + a.Name
	case isTap && u.Link.Type() == "tuntap":
		what = fmt.Sprintf("tap %s of %s (%s)", a.Name, unikernel, device)
	default:
		return Drift{}, false
	}
	switch {
	case u.Header.Type == unix.RTM_DELLINK:
		return Drift{Kind: "link", Message: what + " removed"}, true
	case a.Flags&net.FlagUp == 0:
		return Drift{Kind: "link", Message: what + " down"}, true
	case strings.HasPrefix(what, "tap ") && a.MasterIndex == 0:
		return Drift{Kind: "link", Message: what + " left its bridge"}, true
	}
	return Drift{}, false
}

// shimWatch waits for live shims to exit, on one pidfd per shim and a
// wake-up eventfd, polled by one goroutine.
type shimWatch struct {
	h    *Host
	out  chan<- Drift
	wake int // eventfd: refresh asked for

	mu   sync.Mutex // guards pids
	pids map[int]string
}

func newShimWatch(h *Host, out chan<- Drift) (*shimWatch, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	return &shimWatch{h: h, out: out, wake: fd, pids: map[int]string{}}, nil
}

// refresh reads which shims are alive and wakes the poller to watch them.
func (s *shimWatch) refresh() {
	pids := s.h.liveShims()
	s.mu.Lock()
	s.pids = pids
	s.mu.Unlock()
	var one [8]byte
	one[0] = 1
	unix.Write(s.wake, one[:])
}

func (s *shimWatch) run(ctx context.Context) {
	defer unix.Close(s.wake)
	// The context ends the loop through the eventfd.
	stop := context.AfterFunc(ctx, func() {
		var one [8]byte
		one[0] = 1
		unix.Write(s.wake, one[:])
	})
	defer stop()
	open := map[int]int{} // pid -> pidfd
	defer func() {
		for _, fd := range open {
			unix.Close(fd)
		}
	}()
	for ctx.Err() == nil {
		s.mu.Lock()
		want := s.pids
		s.mu.Unlock()
		for pid, fd := range open {
			if _, ok := want[pid]; !ok {
				unix.Close(fd)
				delete(open, pid)
			}
		}
		for pid := range want {
			if _, ok := open[pid]; ok {
				continue
			}
			fd, err := unix.PidfdOpen(pid, 0)
			if err != nil {
				continue // gone already: the next pass sees it
			}
			open[pid] = fd
		}
		fds := []unix.PollFd{{Fd: int32(s.wake), Events: unix.POLLIN}}
		var order []int
		for pid, fd := range open {
			fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
			order = append(order, pid)
		}
		if _, err := unix.Poll(fds, -1); err != nil && !errors.Is(err, unix.EINTR) {
			s.h.log.Warn("poll shims", "err", err)
			return
		}
		if fds[0].Revents != 0 {
			var buf [8]byte
			unix.Read(s.wake, buf[:])
		}
		for i, pid := range order {
			if fds[i+1].Revents == 0 {
				continue
			}
			unix.Close(open[pid])
			delete(open, pid)
			s.mu.Lock()
			name := s.pids[pid]
			delete(s.pids, pid)
			s.mu.Unlock()
			send(ctx, s.out, Drift{Kind: "shim", Message: fmt.Sprintf("shim of %s (pid %d) exited", name, pid)})
		}
	}
}
