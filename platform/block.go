package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/roostd/roost/internal/compress"
	"github.com/roostd/roost/internal/fault"
	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/plan"
)

// CreateBlock creates the block device b: a sparse file of b.SizeMiB
// under dbdir/block, mode 0600, starting with the contents of b.Source if
// it names a file. The file is filled under a temporary name and linked
// into place only when complete, so a block that exists is never a half
// copy; an existing regular file is left as it is.
func (h *Host) CreateBlock(ctx context.Context, b plan.Block) error {
	if err := h.createBlock(ctx, b); err != nil {
		return fmt.Errorf("create block %s: %w", b.Name, err)
	}
	return nil
}

func (h *Host) createBlock(ctx context.Context, b plan.Block) error {
	if err := checkName("block", b.Name); err != nil {
		return err
	}
	if b.SizeMiB <= 0 {
		return fmt.Errorf("size %d MiB: want at least 1", b.SizeMiB)
	}
	size := b.SizeMiB << 20
	path := h.dbdir.Block(b.Name)
	if exists, err := existingFile(path); exists || err != nil {
		return err
	}
	if err := h.dbdir.Init(); err != nil {
		return err
	}
	// A crash while an earlier run copied the source left its temporary
	// file; nobody else makes one for this name (apply holds the lock).
	if stale, err := filepath.Glob(filepath.Join(h.dbdir.BlockDir(), "."+b.Name+".tmp*")); err == nil {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	// os.CreateTemp opens with O_CREATE|O_EXCL, which never follows a
	// symbolic link, and mode 0600.
	tmp, err := os.CreateTemp(h.dbdir.BlockDir(), "."+b.Name+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	fault.Point("platform.block.tmp")
	if b.Source != "" {
		if err := copySparse(ctx, tmp, b.Source, size); err != nil {
			return err
		}
	}
	if err := tmp.Truncate(size); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	fault.Point("platform.block.filled")
	// link(2), unlike rename(2), fails if path exists: a block made
	// meanwhile is kept, not replaced.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			_, err = existingFile(path)
		}
		return err
	}
	return h.dbdir.SyncDir(h.dbdir.BlockDir())
}

// existingFile reports whether path exists, and fails if it is anything
// but a regular file.
func existingFile(path string) (bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return true, fmt.Errorf("%s exists and is not a regular file (%s)", path, fi.Mode().Type())
	}
	return true, nil
}

// copySparse copies the file src to the start of dst, which must be empty,
// skipping blocks of zeros so that they stay holes. A src compressed with
// gzip or zlib is copied decompressed; it must expand to at most max
// bytes, as a plain one must be at most max bytes long.
func copySparse(ctx context.Context, dst *os.File, src string, max int64) error {
	// As config read it: a regular file, opened without blocking, read
	// with pread (a FIFO swapped in since must not hang apply).
	f, fi, err := regfile.Open(src, -1)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer f.Close()
	z, err := compress.NewReader(io.NewSectionReader(f, 0, fi.Size()), max)
	if err != nil {
		return fmt.Errorf("source %s: %w", src, err)
	}
	defer z.Close()
	if z.Format == compress.None && fi.Size() > max {
		return fmt.Errorf("source %s has %d bytes, more than the block's %d", src, fi.Size(), max)
	}
	if _, err := WriteSparse(ctx, dst, z, nil); err != nil {
		if errors.Is(err, compress.ErrTooLarge) {
			return fmt.Errorf("source %s: %w, the block's size", src, err)
		}
		return fmt.Errorf("read source %s: %w", src, err)
	}
	return nil
}

// WriteSparse copies r to the start of dst, which must be empty, writing
// only the 64 KiB chunks that hold data so that runs of zeros stay holes,
// and returns the bytes read. progress, if not nil, is called with the
// count after each MiB. dst's size is where its last data ends: the
// caller truncates it to the size it wants.
func WriteSparse(ctx context.Context, dst *os.File, r io.Reader, progress func(int64)) (int64, error) {
	buf := make([]byte, 1<<20)
	zero := make([]byte, 64<<10)
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return off, err
		}
		n, err := io.ReadFull(r, buf)
		for i := 0; i < n; i += len(zero) {
			chunk := buf[i:min(i+len(zero), n)]
			if !bytes.Equal(chunk, zero[:len(chunk)]) {
				if _, err := dst.WriteAt(chunk, off+int64(i)); err != nil {
					return off, err
				}
			}
		}
		off += int64(n)
		if progress != nil {
			progress(off)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return off, nil
		}
		if err != nil {
			return off, err
		}
	}
}

// ResizeBlock sets the size of the block name to sizeBytes. Growing adds a
// hole; shrinking cuts data off the end, which apply asks for only with
// -allow-data-loss.
func (h *Host) ResizeBlock(ctx context.Context, name string, sizeBytes int64) error {
	if err := h.resizeBlock(name, sizeBytes); err != nil {
		return fmt.Errorf("resize block %s: %w", name, err)
	}
	return nil
}

func (h *Host) resizeBlock(name string, size int64) error {
	if err := checkName("block", name); err != nil {
		return err
	}
	if size <= 0 {
		return fmt.Errorf("size %d bytes: want more than 0", size)
	}
	f, err := h.dbdir.Open(h.dbdir.Block(name), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", f.Name())
	}
	if err := f.Truncate(size); err != nil {
		return err
	}
	fault.Point("platform.block.resized")
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// DeleteBlock deletes the block name and its data. A missing block is
// deleted already.
func (h *Host) DeleteBlock(ctx context.Context, name string) error {
	if err := h.deleteBlock(name); err != nil {
		return fmt.Errorf("delete block %s: %w", name, err)
	}
	return nil
}

func (h *Host) deleteBlock(name string) error {
	if err := checkName("block", name); err != nil {
		return err
	}
	path := h.dbdir.Block(name)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return h.dbdir.SyncDir(filepath.Dir(path))
}
