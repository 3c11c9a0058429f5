package planfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planjson"
)

// Read reads the plan file at path, or says why it is not one.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil || f.Kind != Kind {
		return nil, fmt.Errorf("%s is neither a directory nor a plan file written by roost plan -out", path)
	}
	if f.FormatVersion != planjson.FormatVersion {
		return nil, fmt.Errorf("plan file %s has format version %q; this roost reads %q", path, f.FormatVersion, planjson.FormatVersion)
	}
	return &f, nil
}

// ErrStale means a saved plan no longer fits the configuration or the
// host.
var ErrStale = errors.New("plan is stale")

// CheckFresh compares p, a plan made again from what f records, with the
// saved one, and returns an error wrapping ErrStale that names the
// difference when they were made from different configurations or hosts.
func (f *File) CheckFresh(p *plan.Plan) error {
	switch {
	case f.Plan.ConfigFingerprint != p.ConfigFingerprint:
		return fmt.Errorf("%w: the configuration in %s changed since the plan was made (%s); run roost plan again", ErrStale, f.Dir, f.CreatedAt)
	case f.Plan.HostFingerprint != p.HostFingerprint:
		return fmt.Errorf("%w: the host changed since the plan was made (%s); run roost plan again", ErrStale, f.CreatedAt)
	}
	return nil
}
