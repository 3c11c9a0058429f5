package platform

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/roostd/roost/platform/datadir"
)

// MoveBlock renames the block from to to: the same file, by rename(2)
// beneath the data directory, so that its data and inode stay (a moved
// block, issue 11). A tender that has it open keeps it open. An existing
// to is refused; a from gone while to exists was moved already.
func (h *Host) MoveBlock(ctx context.Context, from, to string) error {
	if err := h.move("block", h.dbdir.Block(from), h.dbdir.Block(to), from, to, func(fi fs.FileInfo) error {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", h.dbdir.Block(from))
		}
		return nil
	}); err != nil {
		return fmt.Errorf("move block %s to %s: %w", from, to, err)
	}
	return nil
}

// MoveUnikernel renames the directory of unikernel from (spec, status,
// console logs) to that of to. It refuses while a shim runs there
// (ErrShimRunning): the shim works in that directory. An existing to is
// refused; a from gone while to exists was moved already.
func (h *Host) MoveUnikernel(ctx context.Context, from, to string) error {
	if err := h.move("unikernel", h.dbdir.Unikernel(from), h.dbdir.Unikernel(to), from, to, func(fi fs.FileInfo) error {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", h.dbdir.Unikernel(from))
		}
		alive, err := h.shimAlive(from)
		if err != nil {
			return err
		}
		if alive {
			return ErrShimRunning
		}
		return nil
	}); err != nil {
		return fmt.Errorf("move unikernel %s to %s: %w", from, to, err)
	}
	return nil
}

// move renames fromPath to toPath beneath the data directory once check
// accepts what is at fromPath.
func (h *Host) move(kind, fromPath, toPath, from, to string, check func(fs.FileInfo) error) error {
	for _, n := range []string{from, to} {
		if err := checkName(kind, n); err != nil {
			return err
		}
	}
	fi, err := os.Lstat(fromPath)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Lstat(toPath); err == nil {
			return nil // moved already
		}
		return err
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s: %w", fromPath, datadir.ErrSymlink)
	}
	if err := check(fi); err != nil {
		return err
	}
	return h.dbdir.Rename(fromPath, toPath)
}
