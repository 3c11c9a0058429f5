package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/platform/solo5"
)

// ImageCache remembers the facts of image files by path, size and
// modification time, so that a directory naming one image a thousand times
// reads it once, and watch does not re-hash unchanged images.
type ImageCache struct {
	mu      sync.Mutex // guards entries
	entries map[string]imageEntry
}

type imageEntry struct {
	size  int64
	mtime time.Time
	img   *solo5.Image
	err   error
}

// NewImageCache returns an empty cache.
func NewImageCache() *ImageCache { return &ImageCache{entries: map[string]imageEntry{}} }

// Read returns the facts of the image at path, from the cache when the file
// has the size and modification time it had when read.
func (c *ImageCache) Read(path string) (*solo5.Image, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e, ok := c.entries[path]
	c.mu.Unlock()
	if ok && e.size == fi.Size() && e.mtime.Equal(fi.ModTime()) {
		return e.img, e.err
	}
	img, err := solo5.ReadImage(path)
	c.mu.Lock()
	c.entries[path] = imageEntry{size: fi.Size(), mtime: fi.ModTime(), img: img, err: err}
	c.mu.Unlock()
	return img, err
}

// image returns the facts of the image at path. An image read once in
// this load is the one every later unikernel naming it gets: a thousand
// instances of one image cost one stat, not a thousand.
func (l *loader) image(path string) (*solo5.Image, error) {
	if img, ok := l.cfg.Images[path]; ok {
		return img, nil
	}
	return l.images.Read(path)
}

// checkImage reads u's image and checks that the host can run it and that
// its manifest names exactly the devices u attaches (albatross's rule).
func (l *loader) checkImage(u *unikernelDecl) {
	if u.Image.Path == "" {
		return
	}
	subject := rangePtr(u.image.Expr.Range())
	shown := l.shownPath(subject.Filename, u.Image.Path)
	img, err := l.image(u.Image.Path)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unreadable image",
			Detail:   fmt.Sprintf("The image of unikernel %q cannot be used: %s.", u.Name, imageErrText(err, u.Image.Path, shown)),
			Subject:  subject,
		})
		return
	}
	l.cfg.Images[u.Image.Path] = img
	u.Image.SHA256 = img.SHA256
	u.Image.Target = img.Target.String()
	u.Image.ABIVersion = img.ABIVersion
	u.Image.Nets, u.Image.Blocks = nil, nil
	for _, d := range img.Devices {
		switch d.Type {
		case solo5.NetBasic:
			u.Image.Nets = append(u.Image.Nets, d.Name)
		case solo5.BlockBasic:
			u.Image.Blocks = append(u.Image.Blocks, d.Name)
		}
	}
	if !img.Target.Runnable() {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported image target",
			Detail:   fmt.Sprintf("The image %s is built for the Solo5 %s target; roost runs hvt and spt images.", shown, img.Target),
			Subject:  subject,
		})
	}
	if img.Machine.String() != runtime.GOARCH {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Image for another architecture",
			Detail:   fmt.Sprintf("The image %s is built for %s; this host is %s.", shown, img.Machine, runtime.GOARCH),
			Subject:  subject,
		})
	}
	for _, d := range img.Devices {
		if d.Type != solo5.NetBasic && d.Type != solo5.BlockBasic {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported manifest device",
				Detail:   fmt.Sprintf("The manifest of %s has device %q of type %d, which roost cannot attach.", shown, d.Name, uint32(d.Type)),
				Subject:  subject,
			})
		}
	}
	var declNets, declBlocks []string
	for _, n := range u.Nets {
		declNets = append(declNets, n.Device)
	}
	for _, b := range u.Blocks {
		declBlocks = append(declBlocks, b.Device)
	}
	var problems []string
	if p := setDiff("net", u.Image.Nets, declNets); p != "" {
		problems = append(problems, p)
	}
	if p := setDiff("block", u.Image.Blocks, declBlocks); p != "" {
		problems = append(problems, p)
	}
	if len(problems) > 0 && !u.badDevice {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Devices do not match the image's manifest",
			Detail: fmt.Sprintf("Unikernel %q must attach exactly the devices its image's manifest declares. The manifest of %s has net devices %s and block devices %s. %s.",
				u.Name, shown, list(u.Image.Nets), list(u.Image.Blocks), strings.Join(problems, "; ")),
			Subject: rangePtr(u.def),
		})
	}
}

// shownPath is how a diagnostic names the file at path that file names:
// relative to that file's directory when beneath it, as users write it,
// else absolute. An absolute path would make the text (and where hcl's
// diagnostic writer wraps it) depend on where the directory lives.
func (l *loader) shownPath(file, path string) string {
	rel, err := filepath.Rel(l.fileDir(file), path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// setDiff describes how declared differs from manifest, or returns "".
func setDiff(kind string, manifest, declared []string) string {
	var missing, extra []string
	for _, m := range manifest {
		if !slices.Contains(declared, m) {
			missing = append(missing, m)
		}
	}
	for _, d := range declared {
		if !slices.Contains(manifest, d) {
			extra = append(extra, d)
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%s %s not attached", kind, list(missing)))
	}
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("%s %s not in the manifest", kind, list(extra)))
	}
	return strings.Join(parts, "; ")
}

func list(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func imageErrText(err error, path, shown string) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		p := pe.Path
		if p == path {
			p = shown
		}
		switch {
		case pe.Op == "parse":
			return fmt.Sprintf("%s is not a Solo5 image: %s", p, pe.Err)
		case pe.Op == "decompress":
			return fmt.Sprintf("%s does not decompress: %s", p, pe.Err)
		case errors.Is(pe.Err, regfile.ErrNotRegular), errors.Is(pe.Err, regfile.ErrTooLarge):
			return fmt.Sprintf("%s is %s", p, pe.Err)
		}
		return fmt.Sprintf("%s: %s", p, pe.Err)
	}
	return err.Error()
}
