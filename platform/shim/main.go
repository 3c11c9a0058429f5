package shim

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/roostd/roost/platform/datadir"
)

// Protocol is the version of the contract between roost and roost-shim:
// the command line below, the notification lines, the exit codes and the
// files of the data directory. roost refuses a shim that speaks another.
const Protocol = 1

// VersionLine is what `roost-shim -version` prints, and what roost checks
// before it starts a shim.
var VersionLine = fmt.Sprintf("roost-shim protocol %d", Protocol)

// Main is roost-shim's main, with args the command line after the program
// name:
//
//	roost-shim [-notify-fd N] [-lock-fd N] DBDIR NAME
//	roost-shim -version
//
// It returns the exit code (ExitDone, ExitError, ExitLocked; 2 for a bad
// command line). With -notify-fd the shim writes one JSON line to
// descriptor N for every status.json it writes (see Spawn), until a write
// fails. With -lock-fd, descriptor N holds shim.lock already: the starter
// took it, so that the shim is seen as running from its first instant.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("roost-shim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: roost-shim [-notify-fd N] [-lock-fd N] DBDIR NAME   (started by roost apply)\n       roost-shim -version")
	}
	version := fs.Bool("version", false, "print the protocol version and exit")
	notifyFD := fs.Int("notify-fd", -1, "write status notifications to descriptor `N`")
	lockFD := fs.Int("lock-fd", -1, "shim.lock, taken by the starter, is descriptor `N`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, VersionLine)
		return ExitDone
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return 2
	}
	var notify *os.File
	if *notifyFD >= 0 {
		notify = os.NewFile(uintptr(*notifyFD), "notify")
	}
	var lock *os.File
	if *lockFD >= 0 {
		lock = os.NewFile(uintptr(*lockFD), "shim.lock")
	}
	return run1(context.Background(), datadir.Dir(fs.Arg(0)), fs.Arg(1), stderr, notify, lock)
}
