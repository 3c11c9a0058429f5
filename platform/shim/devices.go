package shim

import (
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/roostd/roost/platform/datadir"
)

// devices are the files a tender gets from its shim: its blocks and its
// stored image, opened by the shim beneath the data directory, checked,
// and handed over as inherited descriptors, so that the tender never
// resolves a path inside the data directory (a link planted there cannot
// point it at another file).
type devices struct {
	argv  []string   // the tender's argv, with descriptor paths
	files []*os.File // descriptors 3, 4, ... of the tender
	dir   string     // the unikernel's directory: the tender's working directory
}

func (d *devices) close() {
	for _, f := range d.files {
		f.Close()
	}
}

// openDevices opens spec's blocks (read-write) and image (read-only,
// verified against its digest) and returns the tender's argv with them as
// descriptors. A file that is not what roost made is an error naming it.
// img keeps what an earlier start of this shim verified (images.go).
func openDevices(dbdir datadir.Dir, spec *datadir.Spec, img *imageCache) (*devices, error) {
	d := &devices{argv: slices.Clone(spec.Command), dir: dbdir.Unikernel(spec.Name)}
	// A block is its tender's user's (issue 13), an image roost's.
	blockOwner := spec.UID
	if blockOwner == 0 {
		blockOwner = os.Geteuid()
	}
	for _, b := range spec.Blocks {
		f, err := openOwned(dbdir, b.Path, os.O_RDWR, "block "+b.Block, 0o077, blockOwner)
		if err != nil {
			d.close()
			return nil, err
		}
		d.replace("--block:"+b.Device+"=", b.Path, f)
	}
	if spec.ImageFile != "" {
		f, err := img.open(dbdir, spec)
		if err != nil {
			d.close()
			return nil, err
		}
		d.replace("", spec.ImageFile, f)
	}
	return d, nil
}

// replace makes the argument prefix+path refer to f, as the tender's next
// descriptor. Where descriptors cannot be named (fdPath ""), the checked
// file is closed and the argument keeps its path.
func (d *devices) replace(prefix, path string, f *os.File) {
	p := fdPath(3 + len(d.files))
	if p == "" {
		f.Close()
		return
	}
	d.files = append(d.files, f)
	for i, a := range d.argv {
		if a == prefix+path {
			d.argv[i] = prefix + p
		}
	}
}

// openOwned opens path beneath dbdir and checks that it is a regular file
// that roost alone owns: owned by uid (roost's, or for a block its
// tender's), one link, no mode bits in notMode (group and others, and for
// an image its own write bit).
func openOwned(dbdir datadir.Dir, path string, flag int, what string, notMode os.FileMode, uid int) (*os.File, error) {
	f, err := dbdir.Open(path, flag, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkOwned(f, notMode, uid); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %s %w", what, path, err)
	}
	return f, nil
}

// fdPathFor is how a tender names its inherited descriptor n.
func fdPathFor(prefix string, n int) string { return prefix + strconv.Itoa(n) }
