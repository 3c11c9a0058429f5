package netnstest

import (
	"context"
	"os/exec"
	"path/filepath"
)

// runDir is where iproute2 keeps named network namespaces.
const runDir = "/run/netns"

// NS is a named network namespace that lives until the end of the test
// that created it.
type NS struct {
	name string
}

// Name returns the namespace's name, as `ip netns list` shows it.
func (ns *NS) Name() string { return ns.name }

// Path returns the namespace's file, which setns(2) accepts.
func (ns *NS) Path() string { return filepath.Join(runDir, ns.name) }

// Command returns a command that runs name with args inside the namespace,
// through `ip netns exec`, which execs it: the command's pid is that of
// name itself, so signals sent to it reach name.
func (ns *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.name, name}, args...)...)
}
