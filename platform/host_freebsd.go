package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/roostd/roost/plan"
)

// ifconfigHost manages bridges and taps by running ifconfig(8) with
// argument vectors (ifconfig.go builds them and parses what it prints).
// FreeBSD has no netlink that does all of it, and ifconfig is the
// system's own interface to if_bridge(4) and tap(4).
//
// The kernel names a tap when it creates one (tap0, tap1, ...), so a tap
// is known by its description roost:<unikernel>:<device>, and reported
// to plan under its plan name plan.TapName(unikernel, device). taps maps
// the plan names to the kernel's, as of the last listing.
type ifconfigHost struct {
	log *slog.Logger

	mu sync.Mutex // guards taps and roost
	// taps maps a tap's plan name to its kernel name.
	taps map[string]string
	// roost says, by kernel name, what each roost tap and each bridge of
	// the last listing is, for drift messages.
	roost map[string]string
}

func newOSHost(netns string, log *slog.Logger) (osHost, error) {
	if netns != "" {
		return nil, fmt.Errorf("network namespace %s: FreeBSD has no network namespaces; leave Options.NetNS empty", netns)
	}
	return &ifconfigHost{log: log, taps: map[string]string{}, roost: map[string]string{}}, nil
}

func (h *ifconfigHost) close() error { return nil }

// ifconfigPath is FreeBSD's ifconfig; roost does not look it up in $PATH.
const ifconfigPath = "/sbin/ifconfig"

// ifconfigTimeout bounds one run of ifconfig.
const ifconfigTimeout = 30 * time.Second

// ifconfigError is a run of ifconfig that failed, with what it said.
type ifconfigError struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *ifconfigError) Error() string {
	msg := "ifconfig " + strings.Join(e.Args, " ") + ": " + e.Err.Error()
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *ifconfigError) Unwrap() error {
	if ifconfigGone(e.Stderr) {
		return ErrNoInterface
	}
	return e.Err
}

// ifconfig runs ifconfig with args and returns its standard output.
func (h *ifconfigHost) ifconfig(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, ifconfigTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ifconfigPath, args...)
	cmd.Env = []string{"PATH=/sbin:/bin:/usr/sbin:/usr/bin", "LC_ALL=C"}
	// A child that kept the pipes open does not hold Wait past this.
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &ifconfigError{Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return stdout.Bytes(), nil
}

// list returns every interface.
func (h *ifconfigHost) list(ctx context.Context) ([]ifconfigIface, error) {
	out, err := h.ifconfig(ctx, ifconfigList()...)
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	ifaces, err := parseIfconfig(out)
	if err != nil {
		return nil, fmt.Errorf("list interfaces: parse ifconfig -a: %w", err)
	}
	return ifaces, nil
}

// lookup returns the interface name, or an error wrapping ErrNoInterface.
func (h *ifconfigHost) lookup(ctx context.Context, name string) (ifconfigIface, error) {
	if !validIfName(name) {
		return ifconfigIface{}, fmt.Errorf("invalid interface name %q", name)
	}
	out, err := h.ifconfig(ctx, name)
	if err != nil {
		return ifconfigIface{}, fmt.Errorf("look up interface %s: %w", name, err)
	}
	ifaces, err := parseIfconfig(out)
	if err == nil && (len(ifaces) != 1 || ifaces[0].Name != name) {
		err = fmt.Errorf("%d interfaces listed, want %s alone", len(ifaces), name)
	}
	if err != nil {
		return ifconfigIface{}, fmt.Errorf("look up interface %s: parse ifconfig: %w", name, err)
	}
	return ifaces[0], nil
}

// gone reports whether err says an interface or address no longer exists:
// deleting it has succeeded.
func gone(err error) bool {
	var ie *ifconfigError
	return errors.Is(err, ErrNoInterface) || errors.As(err, &ie) && ifconfigNoAddress(ie.Stderr)
}

func (h *ifconfigHost) links(ctx context.Context, owner string) (*hostLinks, error) {
	bridges, taps, err := h.links1(ctx, owner)
	if err != nil {
		return nil, err
	}
	return &hostLinks{bridges: bridges, taps: taps}, nil
}

func (h *ifconfigHost) links1(ctx context.Context, owner string) (map[string]plan.ObservedBridge, map[string]plan.ObservedTap, error) {
	ifaces, err := h.list(ctx)
	if err != nil {
		return nil, nil, err
	}
	master := map[string]string{}
	for _, i := range ifaces {
		if i.InGroup("bridge") {
			for _, m := range i.Members {
				master[m] = i.Name
			}
		}
	}
	bridges := map[string]plan.ObservedBridge{}
	taps := map[string]plan.ObservedTap{}
	names := map[string]string{}
	roost := map[string]string{}
	for _, i := range ifaces {
		if i.InGroup("bridge") {
			b := plan.ObservedBridge{Name: i.Name, Addresses: i.Addresses, MTU: i.MTU, Up: i.Up()}
			b.Owned, b.Legacy, b.OtherDataDir = bridgeOwnership(i.Description, owner)
			bridges[i.Name] = b
			roost[i.Name] = "bridge " + i.Name
			continue
		}
		unikernel, device, ok := roostTap(i, owner)
		if !ok {
			continue
		}
		_, _, tapOwner, _ := plan.ParseTapAlias(i.Description)
		name := plan.TapName(unikernel, device)
		if old, dup := taps[name]; dup && old.Legacy && tapOwner != "" {
			// This data directory's own, over one of a roost before
			// data directory IDs (then another's): this one it is.
			delete(names, name)
		}
		if other, dup := names[name]; dup {
			// Two taps claim one device; deleteTap removes both (or,
			// beside one of this data directory's, that one), and
			// plan sees the first.
			h.log.Warn("two taps have one description", "description", i.Description, "taps", other+" "+i.Name)
			continue
		}
		names[name] = i.Name
		roost[i.Name] = fmt.Sprintf("tap %s of %s (%s)", i.Name, unikernel, device)
		taps[name] = plan.ObservedTap{Name: name, Unikernel: unikernel, Device: device, Master: master[i.Name], Up: i.Up(), Legacy: tapOwner == ""}
	}
	h.mu.Lock()
	h.taps, h.roost = names, roost
	h.mu.Unlock()
	return bridges, taps, nil
}

func (h *ifconfigHost) tapHostName(name string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if k, ok := h.taps[name]; ok {
		return k
	}
	return name
}

// remember records that the tap with plan name name is the kernel's tap
// kernel.
func (h *ifconfigHost) remember(name, kernel, what string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.taps[name] = kernel
	h.roost[kernel] = what
}

// forget drops the tap with plan name name.
func (h *ifconfigHost) forget(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.roost, h.taps[name])
	delete(h.taps, name)
}

// describeInterface says what the kernel's interface name was as of the
// last listing, if it was roost's tap or a bridge.
func (h *ifconfigHost) describeInterface(name string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	what, ok := h.roost[name]
	return what, ok
}
