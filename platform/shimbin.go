package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/roostd/roost/internal/subproc"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/shim"
)

// ShimName is the supervisor's executable, installed beside roost.
const ShimName = "roost-shim"

// ErrNoShim means no usable roost-shim was found.
var ErrNoShim = errors.New("no usable " + ShimName)

// LookupShim looks for roost-shim next to roost's own executable, then on
// $PATH, and checks that it speaks this roost's protocol (`roost-shim
// -version`). The lookup's Err says where it looked and what it found.
func LookupShim(ctx context.Context) plan.TenderLookup {
	var looked, found []string
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), ShimName)
		looked = append(looked, filepath.Dir(exe))
		if ok, why := checkShim(ctx, p); ok {
			return plan.TenderLookup{Path: p, Version: shim.VersionLine}
		} else if why != "" {
			found = append(found, why)
		}
	}
	looked = append(looked, "$PATH")
	if p, err := exec.LookPath(ShimName); err == nil {
		if ok, why := checkShim(ctx, p); ok {
			return plan.TenderLookup{Path: p, Version: shim.VersionLine}
		} else if why != "" {
			found = append(found, why)
		}
	}
	msg := fmt.Sprintf("%v: looked in %s", ErrNoShim, strings.Join(looked, " and "))
	if len(found) > 0 {
		msg += " (" + strings.Join(found, "; ") + ")"
	}
	return plan.TenderLookup{Err: msg + "; install it beside roost (make install puts both in place)"}
}

// checkShim runs `p -version`; why says what is wrong with a binary that is
// there but unusable ("" when there is none).
func checkShim(ctx context.Context, p string) (ok bool, why string) {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false, ""
	}
	res, err := subproc.Run(ctx, versionTimeout, p, "-version")
	if err != nil {
		return false, fmt.Sprintf("%s -version: %v", p, err)
	}
	if got := string(bytes.TrimSpace(res.Stdout)); got != shim.VersionLine {
		return false, fmt.Sprintf("%s says %q, this roost needs %q", p, got, shim.VersionLine)
	}
	return true, ""
}
