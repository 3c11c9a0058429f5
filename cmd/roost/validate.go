package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan/planjson"
	"github.com/roostd/roost/platform"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
)

const validateHelp = `
Check the configuration in DIR (default: the current directory) without
changing the host: syntax, names, references, MACs, durations, depends_on,
and that every image is a Solo5 image whose manifest names exactly the
devices declared for it. A missing tender is a warning here; plan and apply
refuse it. Exit status 0 when valid, 1 when not.`

func runValidate(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "validate", "[DIR] [-json] [-var name=value]... [-var-file FILE]...", validateHelp)
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	var lf loadFlags
	lf.register(fs)
	dir, err := parseDirArgs(fs, args)
	if err != nil {
		return err
	}
	cfg, diags := config.Load(dir, lf.options())
	if !diags.HasErrors() {
		diags = append(diags, tenderWarnings(ctx, g, cfg)...)
	}
	if err := ctx.Err(); err != nil {
		// A signal ended the tender lookups: what they said is not
		// what the host has.
		return fmt.Errorf("validate interrupted: %w", err)
	}
	nerr := len(diags.Errs())
	if *jsonOut {
		out := views.Validate{
			FormatVersion: planjson.FormatVersion,
			Valid:         nerr == 0,
			ErrorCount:    nerr,
			WarningCount:  len(diags) - nerr,
			Diagnostics:   views.JSONDiagnostics(diags, cfg.Files),
		}
		if err := views.WriteJSON(g.stdout, out); err != nil {
			return err
		}
		if nerr > 0 {
			return errReported
		}
		return nil
	}
	if err := g.printDiagnostics(diags, cfg.Files, "invalid configuration in "+dir); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "The configuration in %s is valid: %s.\n", dir, summary(cfg))
	return nil
}

func summary(cfg *config.Config) string {
	d := cfg.Desired
	return fmt.Sprintf("%d unikernel%s, %d bridge%s, %d block%s",
		len(d.Unikernels), plural(len(d.Unikernels)),
		len(d.Bridges), plural(len(d.Bridges)),
		len(d.Blocks), plural(len(d.Blocks)))
}

// tenderWarnings reports unikernels whose tender is not on this host: a host
// matter, so only a warning for validate.
func tenderWarnings(ctx context.Context, g *globals, cfg *config.Config) hcl.Diagnostics {
	f := platform.NewTenderFinder(cfg.Settings.Tenders, datadir.Dir(g.dbdirFor(cfg)))
	var diags hcl.Diagnostics
	reported := map[string]bool{}
	for _, u := range cfg.Desired.Unikernels {
		t, ok := solo5.ParseTarget(u.Image.Target)
		if !ok {
			continue
		}
		key := fmt.Sprintf("%s.%d", t, u.Image.ABIVersion)
		if reported[key] {
			continue
		}
		if _, err := f.Find(ctx, t, u.Image.ABIVersion); err != nil {
			reported[key] = true
			r := cfg.Ranges["unikernel/"+u.Name]
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Tender not found",
				Detail:   fmt.Sprintf("Unikernel %q cannot run on this host: %v. plan and apply will refuse it here.", u.Name, err),
				Subject:  &r,
			})
		}
	}
	return diags
}
