package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
)

// Options configure a Host.
type Options struct {
	// DBDir is the data directory. It need not exist: a Host observes a
	// missing one as an empty host and creates it on the first change.
	DBDir datadir.Dir
	// ShimCommand is how to run roost-shim: the executable and any
	// leading arguments, as shim.Start takes them. Empty means the
	// roost-shim FindShim finds; tests set it.
	ShimCommand []string
	// TenderDirs are searched for tenders before DBDir and $PATH.
	TenderDirs []string
	// NetNS is the path of a network namespace file (/run/netns/NAME,
	// /proc/PID/ns/net) whose bridges and taps the Host manages. Empty
	// means the namespace roost runs in, the host's. Tests set it so that
	// nothing they do touches the host's interfaces. Network namespaces
	// are Linux's: on FreeBSD a non-empty NetNS is an error.
	NetNS string
	// Log receives what the Host does on a best-effort basis and what it
	// skips; nil discards it.
	Log *slog.Logger
	// UIDs is the first and last uid the Host gives tenders (the
	// configuration's unikernel_uids); zero means DefaultUIDs.
	UIDs [2]int
}

// Host is the host roost manages: the data directory, the shims it
// starts, and the bridges and taps of one network namespace. It implements
// apply.Host. Every change is idempotent: creating what exists, or deleting
// what is gone, succeeds. A Host is safe for concurrent use; its methods
// on different resources may run in parallel.
type Host struct {
	mu sync.Mutex // guards spawned, shim, shimFound and owner
	// spawned holds, by unikernel, the shims StartUnikernel spawned and
	// VerifyUnikernel has not waited for yet.
	spawned map[string]startedShim
	// shim is the roost-shim lookup, made once (shimFound).
	shim      plan.TenderLookup
	shimFound bool
	// owner is the data directory's ID once linkOwner has read it.
	owner string

	dbdir       datadir.Dir
	shimCommand []string
	shims       supervisor
	finder      *TenderFinder
	uidAlloc    uidAllocator
	log         *slog.Logger
	os          osHost

	usersMu sync.Mutex // held from choosing a tender's uid to writing its spec.json
	uids    [2]int     // Options.UIDs
	etc     string     // where passwd and group are: /etc
}

// osHost is what differs between operating systems: the network
// interfaces. host_linux.go implements it with netlink, host_freebsd.go
// with ifconfig(8); elsewhere (host_other.go) it returns
// errors.ErrUnsupported.
//
// Taps are named by their plan name (plan.TapName, SpecNet.Tap) in and out
// of an osHost. On Linux that is the interface's name. On FreeBSD the
// kernel names a tap (tap0, tap1, ...), and the osHost maps the plan name
// to it through the description roost:<unikernel>:<device>; tapHostName
// says which interface the tender is to attach to.
type osHost interface {
	// links returns the bridges, the taps whose alias says roost made
	// them, and the interfaces that bear a name roost gives its taps but
	// are not roost's.
	//
	// owner is the ID of the data directory the Host serves (a link of
	// another is foreign; see owner.go); the methods below that make or
	// change a link give it owner's alias, and those that change or
	// delete one refuse another data directory's.
	links(ctx context.Context, owner string) (*hostLinks, error)
	createBridge(ctx context.Context, b plan.Bridge, owner string) error
	updateBridge(ctx context.Context, b plan.Bridge, owner string) error
	deleteBridge(ctx context.Context, name, owner string) error
	ensureTap(ctx context.Context, unikernel string, n plan.SpecNet, owner string) error
	deleteTap(ctx context.Context, name, owner string) error
	tapStats(name string) (TapStats, error)
	// tapHostName returns the name the host knows the tap with plan name
	// name by, as of the last links or ensureTap; name itself when it
	// knows none.
	tapHostName(name string) string
	close() error
}

// hostLinks are the network interfaces of the host as roost sees them.
type hostLinks struct {
	bridges map[string]plan.ObservedBridge
	taps    map[string]plan.ObservedTap
	foreign map[string]string // name -> what it is
}

// NewHost returns the Host that opts describe. Close it when done.
func NewHost(opts Options) (*Host, error) {
	if opts.DBDir == "" {
		return nil, errors.New("new host: no data directory")
	}
	abs, err := filepath.Abs(string(opts.DBDir))
	if err != nil {
		return nil, fmt.Errorf("new host: data directory %s: %w", opts.DBDir, err)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Host{
		dbdir:       datadir.Dir(abs),
		shimCommand: append([]string(nil), opts.ShimCommand...),
		shims:       shimPackage{},
		log:         log,
		finder:      NewTenderFinder(opts.TenderDirs, datadir.Dir(abs)),
		uids:        opts.UIDs,
		etc:         "/etc",
	}
	h.os, err = newOSHost(opts.NetNS, log)
	if err != nil {
		return nil, fmt.Errorf("new host: %w", err)
	}
	return h, nil
}

// FindShim returns the roost-shim the Host starts unikernels with, looked
// up (LookupShim) on the first call; with Options.ShimCommand, that.
func (h *Host) FindShim(ctx context.Context) plan.TenderLookup {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.shimFound {
		if len(h.shimCommand) > 0 {
			h.shim = plan.TenderLookup{Path: h.shimCommand[0]}
		} else {
			h.shim = LookupShim(ctx)
			if h.shim.Err == "" {
				h.shimCommand = []string{h.shim.Path}
			}
		}
		h.shimFound = true
	}
	return h.shim
}

// Close releases the Host's netlink sockets and namespace handle.
func (h *Host) Close() error { return h.os.close() }

// DBDir returns the Host's data directory, made absolute.
func (h *Host) DBDir() datadir.Dir { return h.dbdir }

// FindTender looks for a tender for target that speaks ABI version abi in
// Options.TenderDirs, the data directory and $PATH, running each candidate's
// --version once per Host (and again only when the binary changes).
func (h *Host) FindTender(ctx context.Context, target string, abi uint32) plan.TenderLookup {
	t, ok := solo5.ParseTarget(target)
	if !ok {
		return plan.TenderLookup{Err: fmt.Sprintf("unknown Solo5 target %q", target)}
	}
	tender, err := h.finder.Find(ctx, t, abi)
	if err != nil {
		return plan.TenderLookup{Err: err.Error()}
	}
	return plan.TenderLookup{Path: tender.Path, Version: tender.Version}
}

// CreateBridge creates the bridge b with the alias plan.BridgeAlias of
// the data directory, its MTU and addresses, and sets it up. An existing
// bridge with that alias (or a roost's from before data directory IDs)
// is brought to b instead; one without it existed before roost, or is
// another data directory's, and is used as it is, untouched.
func (h *Host) CreateBridge(ctx context.Context, b plan.Bridge) error {
	owner, err := h.linkOwner()
	if err != nil {
		return fmt.Errorf("create bridge %s: %w", b.Name, err)
	}
	return h.os.createBridge(ctx, b, owner)
}

// UpdateBridge sets the addresses (adding the missing ones, removing the
// others) and, when b.MTU is set, the MTU of a bridge roost created, and
// sets it up. It refuses a bridge roost did not create.
func (h *Host) UpdateBridge(ctx context.Context, b plan.Bridge) error {
	owner, err := h.linkOwner()
	if err != nil {
		return fmt.Errorf("update bridge %s: %w", b.Name, err)
	}
	return h.os.updateBridge(ctx, b, owner)
}

// DeleteBridge deletes the bridge name if roost created it for this data
// directory. A missing bridge is deleted already; one without the alias
// plan.BridgeAlias of this data directory (or of none) is an error
// wrapping ErrNotOwned.
func (h *Host) DeleteBridge(ctx context.Context, name string) error {
	return h.os.deleteBridge(ctx, name, h.knownOwner())
}

// EnsureTap creates the tap n.Tap of unikernel's net device n.Device:
// persistent, with the alias plan.TapAlias (naming the data directory), the MTU of its bridge, enslaved
// to n.Bridge and up, so that a tender can attach to it. An existing tap is
// fixed instead: alias, MTU, master and up state.
func (h *Host) EnsureTap(ctx context.Context, unikernel string, n plan.SpecNet) error {
	owner, err := h.linkOwner()
	if err != nil {
		return fmt.Errorf("create tap %s for %s: %w", n.Tap, unikernel, err)
	}
	return h.os.ensureTap(ctx, unikernel, n, owner)
}

// DeleteTap deletes the tap name. A missing tap is deleted already; an
// interface whose alias is not a tap alias of this data directory (or of
// none) is an error wrapping ErrNotOwned.
func (h *Host) DeleteTap(ctx context.Context, name string) error {
	return h.os.deleteTap(ctx, name, h.knownOwner())
}

// linkOwner returns the ID the links this Host makes carry: its data
// directory's, which Init gives it if it has none yet.
func (h *Host) linkOwner() (string, error) {
	if owner := h.knownOwner(); owner != "" {
		return owner, nil
	}
	if err := h.dbdir.Init(); err != nil {
		return "", err
	}
	if owner := h.knownOwner(); owner != "" {
		return owner, nil
	}
	return "", fmt.Errorf("data directory %s has no ID in %s", h.dbdir, datadir.Mark)
}

// knownOwner returns the data directory's ID, "" while it has none; once
// read, it is not read again (an ID never changes).
func (h *Host) knownOwner() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.owner == "" {
		h.owner = h.dbdir.ID()
	}
	return h.owner
}

// ErrNotOwned means roost refused to change or delete a network interface
// that it did not create: its alias does not say roost made it.
var ErrNotOwned = errors.New("not created by roost")

// ErrNoInterface means a network interface does not exist.
var ErrNoInterface = errors.New("no such network interface")

// checkName returns an error unless name is a valid unikernel or block
// name (plan.ValidName), and so a safe single path element.
func checkName(kind, name string) error {
	if !plan.ValidName(name) {
		return fmt.Errorf("invalid %s name %q", kind, name)
	}
	return nil
}

// digestPattern is a hex SHA-256, the name of a stored image.
var digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
