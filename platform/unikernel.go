package platform

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/roostd/roost/internal/fault"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/shim"
)

// StartUnikernel writes spec.json of spec.Name and starts its shim. It
// returns as soon as the shim process exists; VerifyUnikernel waits for it
// to take its lock and tells whether the tender stays up. Splitting the two
// lets apply start many shims while earlier ones are still starting.
func (h *Host) StartUnikernel(ctx context.Context, spec *plan.Spec) error {
	if err := h.startUnikernel(ctx, spec); err != nil {
		return fmt.Errorf("start unikernel %s: %w", spec.Name, err)
	}
	return nil
}

func (h *Host) startUnikernel(ctx context.Context, spec *plan.Spec) error {
	if s := h.FindShim(ctx); s.Err != "" {
		return errors.New(s.Err)
	}
	if err := h.writeSpec(spec); err != nil {
		return err
	}
	fault.Point("platform.start.spec")
	h.destroyStaleVM(ctx, spec.Name)
	h.mu.Lock()
	command := h.shimCommand
	h.mu.Unlock()
	st, err := h.shims.Spawn(ctx, command, h.dbdir, spec.Name)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if h.spawned == nil {
		h.spawned = map[string]startedShim{}
	}
	if old := h.spawned[spec.Name]; old != nil {
		old.Close()
	}
	h.spawned[spec.Name] = st
	h.mu.Unlock()
	return nil
}

// VerifyUnikernel waits until the shim of name reports a tender that has
// stayed up for window (counted from the tender's start), or says how it
// ended. A tender that ran to completion and that its policy leaves ended
// (a job under "never" or "on-failure" that exits 0) did what it was
// started for: that is success. A shim this Host started tells it through
// its notifications; another one is watched through its files.
func (h *Host) VerifyUnikernel(ctx context.Context, name string, window time.Duration) error {
	h.mu.Lock()
	st := h.spawned[name]
	delete(h.spawned, name)
	h.mu.Unlock()
	var err error
	if st != nil {
		defer st.Close()
		if _, err := st.Wait(ctx); err != nil {
			return fmt.Errorf("start unikernel %s: %w", name, err)
		}
		err = st.Verify(ctx, window)
	} else {
		err = h.shims.WaitRunning(ctx, h.dbdir, name, window)
	}
	var ended *shim.EndError
	if errors.As(err, &ended) && ended.State == datadir.StateExited {
		h.log.Info("unikernel ran to completion during the verify window", "name", name)
		return nil
	}
	return err
}

// writeSpec creates the unikernel's directory (0700) if need be and
// writes spec.json atomically.
func (h *Host) writeSpec(spec *plan.Spec) error {
	if err := checkName("unikernel", spec.Name); err != nil {
		return err
	}
	if err := h.dbdir.Init(); err != nil {
		return err
	}
	dir := h.dbdir.Unikernel(spec.Name)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := datadir.RejectSymlink(dir); err != nil {
		return err
	}
	f := h.specFile(spec)
	h.usersMu.Lock()
	defer h.usersMu.Unlock()
	u, err := h.tenderUser(spec)
	if err != nil {
		return err
	}
	f.UID, f.GID, f.Groups = u.UID, u.GID, u.Groups
	if err := h.ownBlocks(f); err != nil {
		return err
	}
	return h.dbdir.WriteJSON(h.dbdir.Spec(spec.Name), f)
}

// returnBlocks gives the blocks that unikernel name's tender user still
// owns back to roost: its uid is free once its directory goes, and the
// blocks are kept (issue 13). A block another unikernel took since is
// that one's and stays so.
func (h *Host) returnBlocks(name string) error {
	h.usersMu.Lock()
	defer h.usersMu.Unlock()
	var spec datadir.Spec
	if err := h.dbdir.ReadJSON(h.dbdir.Spec(name), &spec); err != nil || spec.UID == 0 {
		return nil // nothing was given away
	}
	for _, b := range spec.Blocks {
		bf, err := h.dbdir.Open(b.Path, os.O_RDONLY, 0)
		if err != nil {
			continue // gone, or not roost's: observe reports it
		}
		fi, err := bf.Stat()
		if err == nil {
			if uid, _, ok := ownerLinks(fi); ok && int(uid) == spec.UID {
				if err = checkBlockFile(bf); err == nil {
					err = bf.Chown(os.Geteuid(), os.Getegid())
				}
			}
		}
		bf.Close()
		if err != nil {
			return fmt.Errorf("give block %s back from uid %d: %w", b.Block, spec.UID, err)
		}
	}
	return nil
}

// checkBlockFile refuses to give away anything but a regular file of one
// link: a name planted beside the block must not pass on another file.
func checkBlockFile(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if _, nlink, ok := ownerLinks(fi); !fi.Mode().IsRegular() || (ok && nlink != 1) {
		return fmt.Errorf("%s is not a regular file of one link", f.Name())
	}
	return nil
}

// ownBlocks gives f's blocks to its tender's user, mode 0600, so that no
// other unikernel's tender can open them by path (issue 13); the shim
// refuses a block its tender does not own.
func (h *Host) ownBlocks(f *datadir.Spec) error {
	uid, gid := f.UID, f.GID
	if uid == 0 {
		uid, gid = os.Geteuid(), os.Getegid()
	}
	for _, b := range f.Blocks {
		bf, err := h.dbdir.Open(b.Path, os.O_RDONLY, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue // the shim says so when it starts
		}
		if err == nil {
			err = checkBlockFile(bf)
		}
		if err == nil {
			err = bf.Chown(uid, gid)
			if err == nil {
				err = bf.Chmod(0o600)
			}
			bf.Close()
		}
		if err != nil {
			return fmt.Errorf("give block %s to uid %d: %w", b.Block, uid, err)
		}
	}
	return nil
}

// UpdateUnikernel writes spec.json of spec.Name and, if its shim runs,
// has it read the spec again (restart policy, stop timeout); the tender
// keeps running.
func (h *Host) UpdateUnikernel(ctx context.Context, spec *plan.Spec) error {
	if err := h.updateUnikernel(spec); err != nil {
		return fmt.Errorf("update unikernel %s: %w", spec.Name, err)
	}
	return nil
}

func (h *Host) updateUnikernel(spec *plan.Spec) error {
	if err := h.writeSpec(spec); err != nil {
		return err
	}
	alive, err := h.shimAlive(spec.Name)
	if err != nil || !alive {
		return err
	}
	return h.shims.Reload(h.dbdir, spec.Name)
}

// StopUnikernel stops the shim of name and its tender. The shim has the
// spec's stop_timeout to stop the tender, and timeout more to exit before
// it is killed. A shim that is not running is stopped already.
func (h *Host) StopUnikernel(ctx context.Context, name string, timeout time.Duration) error {
	if err := h.stopUnikernel(ctx, name, timeout); err != nil {
		return fmt.Errorf("stop unikernel %s: %w", name, err)
	}
	return nil
}

func (h *Host) stopUnikernel(ctx context.Context, name string, timeout time.Duration) error {
	if err := checkName("unikernel", name); err != nil {
		return err
	}
	stop := time.Duration(plan.DefaultStopTimeout)
	var spec datadir.Spec
	if err := h.dbdir.ReadJSON(h.dbdir.Spec(name), &spec); err == nil && spec.StopTimeout > 0 {
		stop = time.Duration(spec.StopTimeout)
	}
	if err := h.shims.Stop(ctx, h.dbdir, name, stop+timeout); err != nil {
		return err
	}
	h.destroyStaleVM(ctx, name)
	return nil
}

// RemoveUnikernel removes the directory of name: spec, status, console
// logs, lock. It refuses while a shim runs there. A missing directory is
// removed already.
func (h *Host) RemoveUnikernel(ctx context.Context, name string) error {
	if err := h.removeUnikernel(ctx, name); err != nil {
		return fmt.Errorf("remove unikernel %s: %w", name, err)
	}
	return nil
}

// ErrShimRunning means a unikernel's directory cannot be removed while its
// shim runs.
var ErrShimRunning = errors.New("shim is running")

func (h *Host) removeUnikernel(ctx context.Context, name string) error {
	if err := checkName("unikernel", name); err != nil {
		return err
	}
	dir := h.dbdir.Unikernel(name)
	if err := datadir.RejectSymlink(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	alive, err := h.shimAlive(name)
	if err != nil {
		return err
	}
	if alive {
		return ErrShimRunning
	}
	h.destroyStaleVM(ctx, name)
	if err := h.returnBlocks(name); err != nil {
		return err
	}
	var spec datadir.Spec
	h.dbdir.ReadJSON(h.dbdir.Spec(name), &spec) // for its uid, if any
	// RemoveAll removes symbolic links inside dir; it does not follow
	// them.
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	h.releaseUID(spec.UID)
	return h.dbdir.SyncDir(h.dbdir.UnikernelsDir())
}
