package platform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// watchDrift reads the routing socket's interface messages (route(4):
// RTM_IFANNOUNCE when an interface goes, RTM_IFINFO when its flags
// change) for the Host's taps and bridges, and waits for the exits of live
// shims with kqueue's EVFILT_PROC. Without a routing socket, link drift
// is noticed at the periodic resync only, and it says so in the log.
func (h *Host) watchDrift(ctx context.Context, out chan<- Drift) (func(), error) {
	ih, ok := h.os.(*ifconfigHost)
	if !ok {
		return func() {}, fmt.Errorf("watch host drift: no FreeBSD interface host")
	}
	if err := ih.watchLinks(ctx, out); err != nil {
		h.log.Warn("link drift is noticed at the next resync only", "err", err)
	}
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

// watchLinks opens a routing socket and sends drift for each message
// about an interface the last listing knew as a roost tap or a bridge.
func (h *ifconfigHost) watchLinks(ctx context.Context, out chan<- Drift) error {
	fd, err := unix.Socket(unix.AF_ROUTE, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.AF_UNSPEC)
	if err != nil {
		return fmt.Errorf("open routing socket: %w", err)
	}
	// Non-blocking, so os.File reads through the runtime's poller and
	// Close ends a Read in progress.
	f := os.NewFile(uintptr(fd), "route")
	stop := context.AfterFunc(ctx, func() { f.Close() })
	go func() {
		defer stop()
		defer f.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := f.Read(buf)
			if err != nil {
				if ctx.Err() == nil {
					h.log.Warn("routing socket; link drift is noticed at the next resync only", "err", err)
				}
				return
			}
			msgs, err := parseRTMessages(buf[:n])
			if err != nil {
				h.log.Warn("routing message", "err", err)
				continue
			}
			for _, m := range msgs {
				if d, ok := h.linkDrift(m); ok {
					send(ctx, out, d)
				}
			}
		}
	}()
	return nil
}

// linkDrift turns a routing message into drift when it concerns a roost
// tap or a bridge of the last listing: gone or down.
func (h *ifconfigHost) linkDrift(m rtMessage) (Drift, bool) {
	name := m.Name
	if name == "" {
		ifi, err := net.InterfaceByIndex(int(m.Index))
		if err != nil {
			return Drift{}, false
		}
		name = ifi.Name
	}
	what, ok := h.describeInterface(name)
	if !ok {
		return Drift{}, false
	}
	switch {
	case m.Type == rtmIfAnnounce && m.Departure:
		return Drift{Kind: "link", Message: what + " removed"}, true
	case m.Type == rtmIfInfo && m.Flags&iffUp == 0:
		return Drift{Kind: "link", Message: what + " down"}, true
	}
	return Drift{}, false
}

// shimWatch waits for live shims to exit, on one kqueue with an
// EVFILT_PROC NOTE_EXIT filter per shim and an EVFILT_USER one that
// refresh and the end of the context trigger.
type shimWatch struct {
	h   *Host
	out chan<- Drift
	kq  int

	mu   sync.Mutex // guards pids
	pids map[int]string
}

// wakeIdent is the EVFILT_USER event that wakes run.
const wakeIdent = 1

func newShimWatch(h *Host, out chan<- Drift) (*shimWatch, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, fmt.Errorf("kqueue: %w", err)
	}
	unix.CloseOnExec(kq)
	add := []unix.Kevent_t{{Ident: wakeIdent, Filter: unix.EVFILT_USER, Flags: unix.EV_ADD | unix.EV_CLEAR}}
	if _, err := unix.Kevent(kq, add, nil, nil); err != nil {
		unix.Close(kq)
		return nil, fmt.Errorf("kevent EVFILT_USER: %w", err)
	}
	return &shimWatch{h: h, out: out, kq: kq, pids: map[int]string{}}, nil
}

func (s *shimWatch) wake() {
	unix.Kevent(s.kq, []unix.Kevent_t{{Ident: wakeIdent, Filter: unix.EVFILT_USER, Fflags: unix.NOTE_TRIGGER}}, nil, nil)
}

// refresh reads which shims are alive and wakes the watcher to watch them.
func (s *shimWatch) refresh() {
	pids := s.h.liveShims()
	s.mu.Lock()
	s.pids = pids
	s.mu.Unlock()
	s.wake()
}

func (s *shimWatch) run(ctx context.Context) {
	defer unix.Close(s.kq)
	stop := context.AfterFunc(ctx, s.wake)
	defer stop()
	watched := map[int]bool{}
	events := make([]unix.Kevent_t, 16)
	for ctx.Err() == nil {
		s.mu.Lock()
		var add []unix.Kevent_t
		for pid := range s.pids {
			if !watched[pid] {
				add = append(add, unix.Kevent_t{Ident: uint64(pid), Filter: unix.EVFILT_PROC, Flags: unix.EV_ADD | unix.EV_ONESHOT, Fflags: unix.NOTE_EXIT})
				watched[pid] = true
			}
		}
		s.mu.Unlock()
		// A pid that is gone already fails with ESRCH; the next resync
		// sees it. Registering one at a time keeps one such failure
		// from hiding the others.
		for _, ev := range add {
			unix.Kevent(s.kq, []unix.Kevent_t{ev}, nil, nil)
		}
		n, err := unix.Kevent(s.kq, nil, events, nil)
		if err != nil && !errors.Is(err, unix.EINTR) {
			s.h.log.Warn("kevent on shims", "err", err)
			return
		}
		for _, ev := range events[:max(n, 0)] {
			if ev.Filter != unix.EVFILT_PROC {
				continue
			}
			pid := int(ev.Ident)
			delete(watched, pid)
			s.mu.Lock()
			name, ok := s.pids[pid]
			delete(s.pids, pid)
			s.mu.Unlock()
			if ok {
				send(ctx, s.out, Drift{Kind: "shim", Message: fmt.Sprintf("shim of %s (pid %d) exited", name, pid)})
			}
		}
	}
}
