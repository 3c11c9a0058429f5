package platform

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Deleting a network interface waits for an RCU grace period, about 19 ms
// here, and the kernel does that once per RTM_DELLINK: deleting a hundred
// taps one by one takes two seconds, whatever the parallelism, since the
// deletions serialize on the rtnl lock. Deleting a netdev group in one
// RTM_DELLINK (IFLA_GROUP) unregisters all its interfaces together, with
// one grace period. tapBatch gathers the taps that deleteTap calls at
// about the same time want gone (a destroy, a batch of replacements),
// moves them into a group of roost's own and deletes the group.
//
// The batch never deletes an interface it did not put there: before the
// group is deleted the group's members are listed, and unless they are
// exactly the taps of the batch, each tap is deleted by its index instead.
type tapBatch struct {
	handle *netlink.Handle
	// sock is a netlink socket in the host's namespace, for the group
	// RTM_DELLINK, which netlink.Handle has no call for, and for the
	// plan's link dump (dumpLinks). Requests through it take their
	// sequence numbers from this one handle, so that no reply is taken
	// for another's.
	sock *nl.SocketHandle

	mu      sync.Mutex // guards the following
	group   uint32     // the group of the batch being gathered
	pending map[int]chan error
	first   time.Time // when the batch's first tap came
	timer   *time.Timer
	// groups and single count the group deletions and the taps deleted
	// one by one, for tests.
	groups, single int
}

// The batch is deleted once no tap has come for batchQuiet, or batchMax
// after its first.
const (
	batchQuiet = 3 * time.Millisecond
	batchMax   = 30 * time.Millisecond
)

func newTapBatch(handle *netlink.Handle, nsFD int) (*tapBatch, error) {
	ns := netns.None()
	if nsFD >= 0 {
		ns = netns.NsHandle(nsFD)
	}
	sock, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open netlink socket: %w", err)
	}
	return &tapBatch{handle: handle, sock: &nl.SocketHandle{Socket: sock}, group: newGroup(), pending: map[int]chan error{}}, nil
}

func (b *tapBatch) close() { b.sock.Socket.Close() }

// newGroup picks a netdev group for a batch: one in a range of roost's own
// (0x726f... is "ro"), random within it so that two hosts' batches, and a
// user's groups, do not meet.
func newGroup() uint32 { return 0x726f0000 | rand.Uint32N(1<<16) }

// delete moves link into the batch's group and waits until the batch has
// been deleted, or ctx ends.
func (b *tapBatch) delete(ctx context.Context, link netlink.Link) error {
	b.mu.Lock()
	group := b.group
	if err := b.handle.LinkSetGroup(link, int(group)); err != nil {
		b.mu.Unlock()
		return err
	}
	done := make(chan error, 1)
	b.pending[link.Attrs().Index] = done
	now := time.Now()
	if len(b.pending) == 1 {
		b.first = now
		b.timer = time.AfterFunc(batchQuiet, b.flush)
	} else {
		b.timer.Reset(min(batchQuiet, batchMax-now.Sub(b.first)))
	}
	b.mu.Unlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush deletes the gathered batch and starts a new one.
func (b *tapBatch) flush() {
	b.mu.Lock()
	pending, group := b.pending, b.group
	b.pending, b.group = map[int]chan error{}, newGroup()
	if len(pending) == 0 {
		b.mu.Unlock()
		return
	}
	// Members of the old group are all in pending: delete hereafter takes
	// the lock to add to the new group.
	err := b.deleteGroup(group, pending)
	if err == nil {
		b.groups++
	} else {
		b.single += len(pending)
	}
	b.mu.Unlock()
	for index, done := range pending {
		if err == nil {
			done <- nil
			continue
		}
		// One by one: the group held something else, or the kernel
		// refused.
		e := b.handle.LinkDel(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: index}})
		if gone(e) {
			e = nil
		}
		done <- e
	}
}

// deleteGroup deletes the netdev group if its members are exactly want.
func (b *tapBatch) deleteGroup(group uint32, want map[int]chan error) error {
	links, err := b.handle.LinkList()
	if err != nil {
		return err
	}
	n := 0
	for _, l := range links {
		if l.Attrs().Group != group {
			continue
		}
		if _, ok := want[l.Attrs().Index]; !ok {
			return fmt.Errorf("netdev group %#x holds %s, which is no tap of the batch", group, l.Attrs().Name)
		}
		n++
	}
	if n == 0 {
		return nil // gone already
	}
	req := &nl.NetlinkRequest{
		NlMsghdr: unix.NlMsghdr{Len: unix.SizeofNlMsghdr, Type: unix.RTM_DELLINK, Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK},
		Sockets:  map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: b.sock},
	}
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(group)))
	_, err = req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}
