package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...";
// otherwise the module version or VCS revision is used.
var version = ""

func roostVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) > 12 {
			return "devel-" + rev[:12] + dirty
		}
	}
	return "devel"
}

func runVersion(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "version", "", "Print roost's version, and the Go version and platform it was built for.")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "roost %s (%s %s/%s)\n", roostVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
