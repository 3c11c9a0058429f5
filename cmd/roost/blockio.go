package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

// extent is a range [Off, End) of a file that may hold data.
type extent struct{ Off, End int64 }

// dataExtents returns the ranges of f (size bytes long) that hold data,
// by SEEK_DATA and SEEK_HOLE: the holes between them read as zeros and
// take no disk. A file system without them reports the whole file as
// data, which is slower but as correct.
func dataExtents(f *os.File, size int64) ([]extent, error) {
	var out []extent
	fd := int(f.Fd())
	for off := int64(0); off < size; {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // no data after off
		}
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
			return []extent{{off, size}}, nil
		}
		if err != nil {
			return nil, &os.PathError{Op: "seek", Path: f.Name(), Err: err}
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return nil, &os.PathError{Op: "seek", Path: f.Name(), Err: err}
		}
		out = append(out, extent{data, min(hole, size)})
		off = hole
	}
	return out, nil
}

// allZeros reports whether the file f of size bytes reads as zeros only:
// it has no data extents, or they hold only zeros.
func allZeros(ctx context.Context, f *os.File, size int64) (bool, error) {
	exts, err := dataExtents(f, size)
	if err != nil {
		return false, err
	}
	buf := make([]byte, 1<<20)
	for _, e := range exts {
		for off := e.Off; off < e.End; {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			n, err := f.ReadAt(buf[:min(int64(len(buf)), e.End-off)], off)
			for _, b := range buf[:n] {
				if b != 0 {
					return false, nil
				}
			}
			off += int64(n)
			if err != nil && !errors.Is(err, io.EOF) {
				return false, err
			}
			if n == 0 {
				break
			}
		}
	}
	return true, nil
}

// copyExtents copies the data extents of src (size bytes) to the same
// offsets of the empty file dst, leaving holes where src has them and
// where a 64 KiB chunk of its data is zeros. The caller truncates dst to
// size. progress, if not nil, sees the offset reached.
func copyExtents(ctx context.Context, dst, src *os.File, size int64, progress func(int64)) error {
	exts, err := dataExtents(src, size)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	zero := make([]byte, 64<<10)
	for _, e := range exts {
		for off := e.Off; off < e.End; {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, err := src.ReadAt(buf[:min(int64(len(buf)), e.End-off)], off)
			for i := 0; i < n; i += len(zero) {
				chunk := buf[i:min(i+len(zero), n)]
				if !bytes.Equal(chunk, zero[:len(chunk)]) {
					if _, err := dst.WriteAt(chunk, off+int64(i)); err != nil {
						return err
					}
				}
			}
			off += int64(n)
			if progress != nil {
				progress(off)
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

// progressReader reports the bytes read through it.
type progressReader struct {
	r        io.Reader
	n        int64
	progress func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.progress != nil {
		p.progress(p.n)
	}
	return n, err
}

// exportStream writes the size bytes of f to w, holes as zeros.
func exportStream(w io.Writer, f *os.File, size int64, gz bool, progress func(int64)) error {
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(w)
		w = zw
	}
	if _, err := io.Copy(w, &progressReader{r: io.NewSectionReader(f, 0, size), progress: progress}); err != nil {
		return err
	}
	if zw != nil {
		return zw.Close()
	}
	return nil
}

// exportFile writes the block f to a new file path: a temporary file
// beside it, sparse unless gz, synced and then linked to path, which
// fails rather than replace a file made meanwhile.
func exportFile(ctx context.Context, path string, f *os.File, size int64, gz bool, progress func(int64)) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if gz {
		err = exportStream(tmp, f, size, true, progress)
	} else if err = copyExtents(ctx, tmp, f, size, progress); err == nil {
		err = tmp.Truncate(size)
	}
	if err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s was created meanwhile; it is left as it is", path)
		}
		return err
	}
	return nil
}

// importBlock writes r to a temporary file in the block directory, sparse,
// of the block's size, syncs it and renames it over the block name: the
// block has its old contents or the new ones, never a mix. A killed
// import leaves the temporary file, which the next exclusive lock removes.
func importBlock(ctx context.Context, d datadir.Dir, name string, size int64, r io.Reader, progress func(int64)) (int64, error) {
	tmp, err := os.CreateTemp(d.BlockDir(), "."+name+".tmp*")
	if err != nil {
		return 0, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	n, err := platform.WriteSparse(ctx, tmp, r, progress)
	if err != nil {
		return n, err
	}
	if err := tmp.Truncate(size); err != nil {
		return n, err
	}
	if err := tmp.Sync(); err != nil {
		return n, err
	}
	if err := tmp.Close(); err != nil {
		return n, err
	}
	if err := os.Rename(tmp.Name(), d.Block(name)); err != nil {
		return n, err
	}
	return n, d.SyncDir(d.BlockDir())
}
