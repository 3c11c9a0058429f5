package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/plan/planfile"
	"github.com/roostd/roost/plan/planjson"
)

const planHelp = `
Show what differs between the configuration in DIR (default: the current
directory) and the live host, and what roost apply would do about it. Plan
reads the host and changes nothing.

Exit status: 0 on success, 1 on error (including failed host checks such as
a missing tender or bridge). With -detailed-exitcode: 0 when there are no
changes, 2 when there are.`

func runPlan(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "plan", "[DIR] [-out FILE] [-json] [-detailed-exitcode] [-target NAME]... [-replace NAME]...", planHelp)
	var lf loadFlags
	lf.register(fs)
	var po planOptions
	registerPlanFlags(fs, &po)
	out := fs.String("out", "", "save the plan to `FILE` for roost apply FILE")
	jsonOut := fs.Bool("json", false, "print the plan as JSON")
	detailed := fs.Bool("detailed-exitcode", false, "exit 0 without changes, 2 with changes")
	dir, err := parseDirArgs(fs, args)
	if err != nil {
		return err
	}
	if err := po.check(); err != nil {
		return err
	}
	po.noFingerprints = !*jsonOut && *out == ""
	pre := g.startPrefetch(ctx, dir)
	defer pre.close()
	s, err := g.openSession(dir, &lf)
	if err != nil {
		return err
	}
	s.pre = pre
	unlock, err := s.lock(ctx, false, po.lockTimeout)
	if err != nil {
		return err
	}
	defer unlock()
	p, err := s.makePlan(ctx, &po, false)
	if err != nil {
		return err
	}
	jp := planjson.FromPlan(p)
	if *jsonOut {
		if err := views.WriteJSON(g.stdout, jp); err != nil {
			return err
		}
	} else {
		views.WriteProblems(g.stderr, jp, views.NewColors(g.colorOK(g.stderr)), s.files())
		if len(jp.Problems) == 0 {
			views.WritePlan(g.stdout, jp, views.NewColors(g.colorOK(g.stdout)))
		}
	}
	if len(p.Problems) > 0 {
		return fmt.Errorf("the host cannot run this configuration: %d problem%s", len(p.Problems), plural(len(p.Problems)))
	}
	if *out != "" {
		f := planfile.File{
			RoostVersion: roostVersion(), CreatedAt: time.Now().UTC().Format(time.RFC3339),
			Dir: absDir(dir), DBDir: string(s.dbdir), Vars: lf.vars, VarFiles: absPaths(lf.varFiles),
			Targets: po.targets, Replace: po.replace, AllowDataLoss: po.allowDataLoss, Plan: jp,
		}
		if err := planfile.Write(*out, &f); err != nil {
			return fmt.Errorf("save plan: %w", err)
		}
		if !*jsonOut {
			fmt.Fprintf(g.stdout, "\nSaved the plan to %s. Apply exactly this plan with: roost apply %s\n", *out, *out)
		}
	}
	if *detailed && !p.Empty() {
		return exitError{2}
	}
	return nil
}

func registerPlanFlags(fs *flag.FlagSet, po *planOptions) {
	fs.Var(&po.targets, "target", "limit to this resource and what it depends on: NAME or kind.NAME (repeatable)")
	fs.Var(&po.replace, "replace", "replace (restart) this unikernel even if nothing changed (repeatable)")
	fs.BoolVar(&po.allowDataLoss, "allow-data-loss", false, "allow shrinking and deleting blocks")
	fs.DurationVar(&po.lockTimeout, "lock-timeout", 10*time.Second, "how long to wait for the data directory's lock")
}

func absPaths(ps []string) []string {
	var out []string
	for _, p := range ps {
		out = append(out, absDir(p))
	}
	return out
}
