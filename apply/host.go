package apply

import (
	"context"
	"time"

	"github.com/roostd/roost/plan"
)

// Host is what apply needs of the host. platform.Host implements it on
// Linux; tests use a recording fake (fakehost_test.go). Every method is
// idempotent: creating what exists, or deleting what is gone, succeeds.
type Host interface {
	// Observe reads the host as it is. Tenders is left empty: the
	// caller fills it in for what the configuration needs.
	Observe(ctx context.Context) (*plan.Observed, error)

	CreateBridge(ctx context.Context, b plan.Bridge) error // create with alias, addresses, MTU; up
	UpdateBridge(ctx context.Context, b plan.Bridge) error // set addresses and MTU of an existing bridge
	DeleteBridge(ctx context.Context, name string) error   // only one roost created

	// EnsureTap creates the tap of a net device (persistent, alias, up,
	// enslaved to its bridge), or fixes an existing one.
	EnsureTap(ctx context.Context, unikernel string, n plan.SpecNet) error
	DeleteTap(ctx context.Context, name string) error

	CreateBlock(ctx context.Context, b plan.Block) error // sparse file, 0600, source copied
	ResizeBlock(ctx context.Context, name string, sizeBytes int64) error
	DeleteBlock(ctx context.Context, name string) error
	// MoveBlock renames the block from to to in place (the same file, its
	// data kept), refusing when to exists. A from that is gone while to
	// exists was moved already.
	MoveBlock(ctx context.Context, from, to string) error

	// StoreImage copies the image at src into the image store under its
	// digest (mode 0444) and returns the stored path.
	StoreImage(ctx context.Context, src, sha256 string) (string, error)
	// PruneImages removes stored images whose digest is not in keep.
	PruneImages(ctx context.Context, keep map[string]bool) error

	// StartUnikernel writes spec.json and starts the shim.
	StartUnikernel(ctx context.Context, spec *plan.Spec) error
	// VerifyUnikernel waits until the tender has stayed up for window, or
	// says how it ended. A tender that exited cleanly and is left ended by
	// its policy counts as verified.
	VerifyUnikernel(ctx context.Context, name string, window time.Duration) error
	// UpdateUnikernel writes spec.json and has a running shim reload it
	// (restart policy, stop timeout); the tender keeps running.
	UpdateUnikernel(ctx context.Context, spec *plan.Spec) error
	// StopUnikernel stops the shim and its tender, waiting up to timeout
	// beyond the spec's stop_timeout.
	StopUnikernel(ctx context.Context, name string, timeout time.Duration) error
	// RemoveUnikernel removes the unikernel's directory (spec, status,
	// console log) once it is stopped.
	RemoveUnikernel(ctx context.Context, name string) error
	// MoveUnikernel renames the unikernel's directory (spec, status,
	// console log) from from to to once it is stopped, refusing while a
	// shim runs there or when to exists. A from that is gone while to
	// exists was moved already.
	MoveUnikernel(ctx context.Context, from, to string) error
}
