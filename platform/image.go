package platform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"

	"github.com/roostd/roost/internal/compress"
	"github.com/roostd/roost/internal/fault"
	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
)

// ErrImageChanged means an image's contents no longer have the SHA-256
// that was read from it before: the file changed in between.
var ErrImageChanged = errors.New("image changed since it was read")

// StoreImage copies the image file src into the image store as
// dbdir/images/<sha256>, mode datadir.ImageMode, and returns that path. The copy goes
// to a temporary file that is hashed as it is written, synced and renamed
// into place; if its SHA-256 is not sha256, nothing is stored and the
// error wraps ErrImageChanged. An image already stored is kept.
//
// A src compressed with gzip or zlib is stored decompressed, and sha256
// is that of the decompressed bytes (what solo5.ReadImage reports); a
// stream that is corrupt or expands beyond solo5.MaxImageSize stores
// nothing (see issue 11). An image stored 0400 by an earlier roost is
// given datadir.ImageMode, so that its tenders share it (issue 9).
func (h *Host) StoreImage(ctx context.Context, src, sha256 string) (string, error) {
	path, err := h.storeImage(ctx, src, sha256)
	if err != nil {
		return "", fmt.Errorf("store image %s: %w", src, err)
	}
	return path, nil
}

func (h *Host) storeImage(ctx context.Context, src, digest string) (string, error) {
	if !digestPattern.MatchString(digest) {
		return "", fmt.Errorf("invalid SHA-256 %q", digest)
	}
	path := h.dbdir.Image(digest)
	if exists, err := existingFile(path); err != nil {
		return path, err
	} else if exists {
		ok, err := h.storedImageOK(digest)
		if err != nil {
			return path, err
		}
		if ok {
			return path, h.shareStoredImage(path)
		}
		// Altered since it was stored: stored again below, replacing it.
		h.log.Warn("stored image altered; storing it again", "image", path)
	}
	if err := h.dbdir.Init(); err != nil {
		return "", err
	}
	// As config read it: a regular file, opened without blocking, read
	// with pread (a FIFO swapped in since must not hang apply).
	f, fi, err := regfile.Open(src, -1)
	if err != nil {
		return "", err
	}
	defer f.Close()
	in := io.NewSectionReader(f, 0, fi.Size())
	tmp, err := os.CreateTemp(h.dbdir.ImagesDir(), "."+digest[:12]+".tmp*")
	if err != nil {
		return "", err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	fault.Point("platform.image.tmp")
	z, err := compress.NewReader(ctxReader{ctx, in}, solo5.MaxImageSize)
	if err != nil {
		return "", err
	}
	defer z.Close()
	sum := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, sum), z); err != nil {
		return "", err
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != digest {
		return "", fmt.Errorf("SHA-256 is %s, want %s: %w", got, digest, ErrImageChanged)
	}
	if err := tmp.Chmod(datadir.ImageMode); err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, h.dbdir.SyncDir(h.dbdir.ImagesDir())
}

// shareStoredImage gives the stored image path, if an earlier roost
// stored it 0400, the mode roost stores images with now. Any other mode
// is left as it is: observation reports one more open than roost makes.
func (h *Host) shareStoredImage(path string) error {
	f, err := h.dbdir.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Mode().Perm() != 0o400 {
		return err
	}
	return f.Chmod(datadir.ImageMode)
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// imageTemp is the name of StoreImage's temporary file.
var imageTemp = regexp.MustCompile(`^\.[0-9a-f]+\.tmp\d+$`)

// PruneImages removes from the image store every stored image whose digest
// is not in keep, and temporary files a failed StoreImage left. It
// must not run beside a StoreImage: apply calls it under the exclusive
// lock, after its steps.
func (h *Host) PruneImages(ctx context.Context, keep map[string]bool) error {
	entries, err := h.dbdir.ReadDir(h.dbdir.ImagesDir())
	if err != nil {
		return fmt.Errorf("prune images: %w", err)
	}
	removed := false
	for _, e := range entries {
		// Only stored images and StoreImage's temporaries: a file roost
		// did not make is a conflict, never removed.
		if !e.Type().IsRegular() || keep[e.Name()] || !digestPattern.MatchString(e.Name()) && !imageTemp.MatchString(e.Name()) {
			continue
		}
		p := h.dbdir.Image(e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("prune images: %w", err)
		}
		removed = true
	}
	if removed {
		if err := h.dbdir.SyncDir(h.dbdir.ImagesDir()); err != nil {
			return fmt.Errorf("prune images: %w", err)
		}
	}
	return nil
}

// storedImageOK reports whether the stored image digest still has that
// digest. It hashes the file: the store is small (one file per image
// version in use), and a changed image must never run.
func (h *Host) storedImageOK(digest string) (bool, error) {
	f, err := h.dbdir.Open(h.dbdir.Image(digest), os.O_RDONLY, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return false, err
	}
	return hex.EncodeToString(sum.Sum(nil)) == digest, nil
}
