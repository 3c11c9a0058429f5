package planfile

import (
	"encoding/json"
	"path/filepath"

	"github.com/google/renameio/v2"
	"github.com/roostd/roost/plan/planjson"
)

// Write saves f at path, mode 0600, atomically: to a temporary file in the
// same directory, then renamed. It sets FormatVersion, Kind and
// OptionsDigest, so that every file it writes is one Read accepts.
func Write(path string, f *File) error {
	out := *f
	out.FormatVersion, out.Kind = planjson.FormatVersion, Kind
	out.OptionsDigest = out.Options().Digest()
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(path, append(b, '\n'), 0o600, renameio.WithTempDir(filepath.Dir(path)))
}
