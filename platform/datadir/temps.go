package datadir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The temporary files roost makes in the data directory, by directory:
// WriteJSON's (TempPrefix), a block's and an image's while they are
// written, and renameio's of roost versions before datadir (".NAME" and
// digits). A writer killed mid-write leaves one behind. In the words of
// regular expressions (tempnames_test.go checks these against them):
//
//	top        ^(\.tmp-.*|\.(applied\.json|roost\.dbdir)\d+)$
//	block/     ^\.[a-z0-9][a-z0-9.-]*\.tmp\d+$
//	images/    ^\.[0-9a-f]{12}\.tmp\d+$
//	unikernel  ^(\.tmp-.*|\.(spec|status)\.json\d+)$
//
// They are written out rather than compiled with regexp: every shim
// imports this package, and compiling them was a part of its start.
func tempTop(n string) bool {
	return writeTemp(n) || digitsAfter(n, ".applied.json") || digitsAfter(n, ".roost.dbdir")
}

func tempUnikernel(n string) bool {
	return writeTemp(n) || digitsAfter(n, ".spec.json") || digitsAfter(n, ".status.json")
}

// writeTemp is a WriteJSON temporary: TempPrefix, then anything but a
// newline (the expression's .*).
func writeTemp(n string) bool {
	return strings.HasPrefix(n, TempPrefix) && !strings.Contains(n, "\n")
}

func tempImage(n string) bool {
	const hexLen = 12
	if len(n) < 1+hexLen || n[0] != '.' {
		return false
	}
	for _, c := range []byte(n[1 : 1+hexLen]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return digitsAfter(n[1+hexLen:], ".tmp")
}

func tempBlock(n string) bool {
	i := strings.LastIndex(n, ".tmp")
	if len(n) < 2 || n[0] != '.' || i < 2 || !digitsAfter(n[i:], ".tmp") {
		return false
	}
	for j, c := range []byte(n[1:i]) {
		ok := '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || j > 0 && (c == '.' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

// digitsAfter reports whether n is prefix and one or more digits.
func digitsAfter(n, prefix string) bool {
	if !strings.HasPrefix(n, prefix) || len(n) == len(prefix) {
		return false
	}
	for _, c := range []byte(n[len(prefix):]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RemoveTemps removes the temporary files that killed writers left in d,
// and returns their paths. Only regular files with the names roost gives
// its temporaries are removed. The caller holds roost.lock exclusively, so
// that no apply writes beside it; a unikernel's directory is cleaned only
// when shimAlive says its shim, which writes status.json on its own, is
// not running.
func (d Dir) RemoveTemps(shimAlive func(name string) bool) ([]string, error) {
	var removed []string
	var errs []error
	clean := func(dir string, isTemp func(string) bool) {
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
			if !e.Type().IsRegular() || !isTemp(e.Name()) {
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
