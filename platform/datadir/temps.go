package datadir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// The temporary files roost makes in the data directory, by directory:
// WriteJSON's (TempPrefix), a block's and an image's while they are
// written, and renameio's of roost versions before datadir (".NAME" and
// digits). A writer killed mid-write leaves one behind.
var (
	tempTop       = regexp.MustCompile(`^(\.tmp-.*|\.(applied\.json|roost\.dbdir)\d+)$`)
	tempBlock     = regexp.MustCompile(`^\.[a-z0-9][a-z0-9.-]*\.tmp\d+$`)
	tempImage     = regexp.MustCompile(`^\.[0-9a-f]{12}\.tmp\d+$`)
	tempUnikernel = regexp.MustCompile(`^(\.tmp-.*|\.(spec|status)\.json\d+)$`)
)

// RemoveTemps removes the temporary files that killed writers left in d,
// and returns their paths. Only regular files with the names roost gives
// its temporaries are removed. The caller holds roost.lock exclusively, so
// that no apply writes beside it; a unikernel's directory is cleaned only
// when shimAlive says its shim, which writes status.json on its own, is
// not running.
func (d Dir) RemoveTemps(shimAlive func(name string) bool) ([]string, error) {
	var removed []string
	var errs []error
	clean := func(dir string, pattern *regexp.Regexp) {
		read := d.ReadDir
		if dir == string(d) {
			read = os.ReadDir // the root itself, which Check vouched for
		}
		ents, err := read(dir)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, e := range ents {
			if !e.Type().IsRegular() || !pattern.MatchString(e.Name()) {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, p)
		}
	}
	clean(string(d), tempTop)
	clean(d.BlockDir(), tempBlock)
	clean(d.ImagesDir(), tempImage)
	ents, err := d.ReadDir(d.UnikernelsDir())
	if err != nil {
		errs = append(errs, err)
	}
	for _, e := range ents {
		if e.IsDir() && !Hidden(e.Name()) && !shimAlive(e.Name()) {
			clean(d.Unikernel(e.Name()), tempUnikernel)
		}
	}
	return removed, errors.Join(errs...)
}
