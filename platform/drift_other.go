//go:build !linux && !freebsd

package platform

import (
	"context"
	"errors"
	"fmt"
)

func (h *Host) watchDrift(ctx context.Context, out chan<- Drift) (func(), error) {
	return func() {}, fmt.Errorf("watch host drift: %w", errors.ErrUnsupported)
}
