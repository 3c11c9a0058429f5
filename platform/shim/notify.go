package shim

import (
	"encoding/json"
	"os"

	"github.com/roostd/roost/platform/datadir"
)

// notifier writes the shim's notifications to the descriptor its starter
// handed over (s6's notification-fd, sd_notify's idea): one JSON line,
// datadir.Status, after each status.json the shim has written. The starter
// learns that the shim holds its lock and started the tender, and how the
// tender fares during its verify window, without polling files. The first
// failed write (the starter has stopped listening) closes it for good.
type notifier struct {
	f *os.File // nil once closed
}

func newNotifier(f *os.File) *notifier { return &notifier{f: f} }

// send writes st as one line; a nil notifier sends nothing.
func (n *notifier) send(st *datadir.Status) {
	if n == nil || n.f == nil {
		return
	}
	b, err := json.Marshal(st)
	if err != nil {
		panic("BUG: status does not encode: " + err.Error())
	}
	if _, err := n.f.Write(append(b, '\n')); err != nil {
		n.close()
	}
}

func (n *notifier) close() {
	if n != nil && n.f != nil {
		n.f.Close()
		n.f = nil
	}
}
