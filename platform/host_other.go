//go:build !linux && !freebsd

package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/roostd/roost/plan"
)

// unsupportedHost is the osHost of systems without an implementation of
// bridges and taps: neither Linux (host_linux.go) nor FreeBSD
// (host_freebsd.go).
type unsupportedHost struct{}

func newOSHost(netns string, log *slog.Logger) (osHost, error) {
	if netns != "" {
		return nil, fmt.Errorf("network namespace %s: %w", netns, errors.ErrUnsupported)
	}
	return unsupportedHost{}, nil
}

func (unsupportedHost) links(ctx context.Context) (*hostLinks, error) {
	return nil, fmt.Errorf("list interfaces: %w", errors.ErrUnsupported)
}

func (unsupportedHost) createBridge(ctx context.Context, b plan.Bridge) error {
	return fmt.Errorf("create bridge %s: %w", b.Name, errors.ErrUnsupported)
}

func (unsupportedHost) updateBridge(ctx context.Context, b plan.Bridge) error {
	return fmt.Errorf("update bridge %s: %w", b.Name, errors.ErrUnsupported)
}

func (unsupportedHost) deleteBridge(ctx context.Context, name string) error {
	return fmt.Errorf("delete bridge %s: %w", name, errors.ErrUnsupported)
}

func (unsupportedHost) ensureTap(ctx context.Context, unikernel string, n plan.SpecNet) error {
	return fmt.Errorf("create tap %s for %s: %w", n.Tap, unikernel, errors.ErrUnsupported)
}

func (unsupportedHost) deleteTap(ctx context.Context, name string) error {
	return fmt.Errorf("delete tap %s: %w", name, errors.ErrUnsupported)
}

func (unsupportedHost) tapStats(name string) (TapStats, error) {
	return TapStats{}, fmt.Errorf("stats of tap %s: %w", name, errors.ErrUnsupported)
}

func (unsupportedHost) tapHostName(name string) string { return name }

func (unsupportedHost) close() error { return nil }
