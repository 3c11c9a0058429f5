package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/internal/fault"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planfile"
	"github.com/roostd/roost/plan/planjson"
	"github.com/roostd/roost/platform/datadir"
)

const applyHelp = `
Make the host equal to the configuration in DIR (default: the current
directory): plan, show the plan, ask, and carry it out. Given a PLANFILE
written by roost plan -out, apply exactly that plan, without asking, unless
the configuration or the host changed since (then it is stale and refused).

Steps run in dependency order, up to -parallelism at a time; a step that
fails fails the steps that depend on it, not the others. Without
-auto-approve apply asks on a terminal and refuses when standard input is
not one. Exit status 0 when every step succeeded, 1 otherwise.`

func runApply(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "apply", "[DIR|PLANFILE] [-auto-approve] [-parallelism N] [-json] [-target NAME]... [-replace NAME]... [-allow-data-loss] [-lock-timeout D]", applyHelp)
	var lf loadFlags
	lf.register(fs)
	var po planOptions
	registerPlanFlags(fs, &po)
	var ao applyOptions
	ao.register(fs)
	dir, err := parseDirArgs(fs, args)
	if err != nil {
		return err
	}
	if err := po.check(); err != nil {
		return err
	}
	if err := ao.check(); err != nil {
		return err
	}
	var saved *planfile.File
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		if saved, err = planfile.Read(dir); err != nil {
			return err
		}
		if err := g.besidePlanFile(fs, dir, saved); err != nil {
			return err
		}
		dir = saved.Dir
		lf = loadFlags{vars: saved.Vars, varFiles: saved.VarFiles}
		po.targets, po.replace, po.allowDataLoss = saved.Targets, saved.Replace, saved.AllowDataLoss
		g.dbdir = saved.DBDir
		ao.autoApprove = true
	}
	s, err := g.openSession(dir, &lf)
	if err != nil {
		return err
	}
	return s.applyPlan(ctx, &po, &ao, saved, saved != nil && saved.Destroy)
}

// shapingFlags are apply's flags that shape a plan, with why each is an
// error beside a plan file: the saved plan already says it, and a plan
// that was shown is the plan that runs (issue 8, finding 11). The others
// (-parallelism, -lock-timeout, -json, -auto-approve, -no-color, -v) do
// not change what runs, only how, and are allowed, as in Terraform.
var shapingFlags = []struct{ name, why string }{
	{"target", "the plan already says what it targets"},
	{"replace", "the plan already says what it replaces"},
	{"allow-data-loss", "the plan already says whether it may delete data"},
	{"var", "the plan was made with the variables it records"},
	{"var-file", "the plan was made with the variable files it records"},
}

// besidePlanFile refuses the flags that would change the plan saved in
// path, and a data directory other than the one it was made for.
func (g *globals) besidePlanFile(fs *flag.FlagSet, path string, saved *planfile.File) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, f := range shapingFlags {
		if set[f.name] {
			return fmt.Errorf("-%s cannot be used with a saved plan file: %s (run roost plan again with it)", f.name, f.why)
		}
	}
	// The data directory a plan made here and now would use, as
	// dbdirFor chooses it: -dbdir before $ROOST_DBDIR.
	dir, from := g.dbdir, "-dbdir"
	if dir == "" {
		dir, from = os.Getenv("ROOST_DBDIR"), "$ROOST_DBDIR"
	}
	if dir != "" && absDir(dir) != saved.DBDir {
		return fmt.Errorf("plan file %s was made for the data directory %s, not %s (%s); run roost plan again for that one", path, saved.DBDir, absDir(dir), from)
	}
	return nil
}

// check refuses option values no plan can be made with.
func (po *planOptions) check() error {
	if po.lockTimeout < 0 {
		return fmt.Errorf("-lock-timeout is %s; it must not be negative", po.lockTimeout)
	}
	return nil
}

// check refuses option values apply cannot run with.
func (ao *applyOptions) check() error {
	if ao.parallelism < 1 {
		return fmt.Errorf("-parallelism is %d; it must be at least 1", ao.parallelism)
	}
	return nil
}

// applyOptions are the flags of apply and destroy.
type applyOptions struct {
	autoApprove bool
	parallelism int
	jsonOut     bool
}

func (ao *applyOptions) register(fs interface {
	BoolVar(p *bool, name string, value bool, usage string)
	IntVar(p *int, name string, value int, usage string)
}) {
	fs.BoolVar(&ao.autoApprove, "auto-approve", false, "apply without asking")
	fs.IntVar(&ao.parallelism, "parallelism", apply.DefaultParallelism, "how many steps may run at once")
	fs.BoolVar(&ao.jsonOut, "json", false, "print the plan and each step as JSON lines")
}

// applyPlan takes the lock, plans, asks, and applies.
func (s *session) applyPlan(ctx context.Context, po *planOptions, ao *applyOptions, saved *planfile.File, destroy bool) error {
	unlock, err := s.lock(ctx, true, po.lockTimeout)
	if err != nil {
		return err
	}
	defer unlock()
	settleShims(ctx, s.dbdir)
	p, err := s.makePlan(ctx, po, destroy)
	if err != nil {
		return err
	}
	jp := planjson.FromPlan(p)
	streams := s.g.streams()
	streams.Files = s.files()
	v := views.NewApply(streams, ao.jsonOut, destroy)
	if len(p.Problems) > 0 {
		v.Problems(jp)
		return fmt.Errorf("the host cannot run this configuration: %d problem%s; nothing was changed", len(p.Problems), plural(len(p.Problems)))
	}
	if saved != nil {
		if err := saved.CheckFresh(p); err != nil {
			return err
		}
	}
	v.Plan(jp)
	if p.Empty() {
		// Nothing to change, but an apply killed before its end may have
		// left images unpruned (issue 8).
		if err := apply.PruneImages(ctx, s.host); err != nil {
			return fmt.Errorf("prune images: %w", err)
		}
		return nil
	}
	if !ao.autoApprove {
		if err := s.confirm(destroy); err != nil {
			return err
		}
	}
	v.Running()
	res, runErr := s.run(ctx, p, ao.parallelism, v)
	v.Outcome(outcome(p, res, runErr))
	fault.Point("apply.pruned")
	s.recordApplied(destroy, runErr)
	if runErr != nil {
		verb := "apply"
		if destroy {
			verb = "destroy"
		}
		return fmt.Errorf("%s failed: %d step%s failed, %d skipped", verb, len(res.Failed), plural(len(res.Failed)), len(res.Skipped))
	}
	return nil
}

// run carries out p, showing each step on v, and prunes the images no
// unikernel uses any more.
func (s *session) run(ctx context.Context, p *plan.Plan, parallelism int, v views.Apply) (apply.Result, error) {
	progress := func(e apply.Event) {
		v.Step(views.Step{Address: e.Address, Action: e.Action.Name(), Phase: string(e.Phase), Duration: e.Duration, Err: e.Err})
	}
	res, runErr := apply.Run(ctx, s.host, p, apply.Options{Parallelism: parallelism, Progress: progress})
	fault.Point("apply.run.done")
	if err := apply.PruneImages(ctx, s.host); err != nil && runErr == nil {
		runErr = fmt.Errorf("prune images: %w", err)
	}
	return res, runErr
}

// outcome is how carrying out p ended: the changes made, counted as the
// plan counts them, and the steps done, failed and skipped.
func outcome(p *plan.Plan, res apply.Result, runErr error) views.Outcome {
	failed := map[string]bool{}
	for _, a := range res.Failed {
		failed[a] = true
	}
	for _, a := range res.Skipped {
		failed[a] = true
	}
	var made []plan.Change
	for _, c := range p.Changes {
		if !failed[c.Address()] {
			made = append(made, c)
		}
	}
	return views.Outcome{Applied: planjson.FromSummary(plan.Summarize(made)),
		Done: len(res.Done), Failed: len(res.Failed), Skipped: len(res.Skipped), OK: runErr == nil}
}

// recordApplied writes (apply) or removes (destroy) the data directory's
// record of the configuration the host was brought to.
func (s *session) recordApplied(destroy bool, runErr error) {
	result := "ok"
	if runErr != nil {
		result = "failed"
	}
	switch {
	case destroy && runErr == nil:
		// Nothing runs from any configuration any more.
		os.Remove(s.dbdir.Applied())
	case s.cfg != nil && !destroy:
		p := datadir.Applied{Dir: absDir(s.dir), AppliedAt: time.Now().UTC(), By: "roost apply", Result: result}
		p.Commit, _ = config.GitCommit(s.dir)
		writeProvenance(s.dbdir, p)
	}
}

// errNotApproved ends apply when the operator did not answer yes.
var errNotApproved = errors.New("apply cancelled")

// confirm asks on a terminal; without one it refuses, since nobody can
// answer.
func (s *session) confirm(destroy bool) error {
	g := s.g
	f, ok := g.stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return errors.New("standard input is not a terminal, so roost cannot ask for approval; review the plan and pass -auto-approve")
	}
	what := "perform these actions"
	if destroy {
		what = "destroy everything roost runs on this host"
	}
	fmt.Fprintf(g.stdout, "\nDo you want to %s?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", what)
	line, _ := bufio.NewReader(g.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return errNotApproved
	}
	return nil
}

const destroyHelp = `
Stop and remove everything roost runs on this host: unikernels, their taps,
the bridges roost created, stored images. Block devices hold data and are
kept unless -allow-data-loss is given. DIR (default: the current directory)
names the data directory through its roost block; -dbdir or $ROOST_DBDIR
do as well, and then the configuration need not be valid.`

func runDestroy(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "destroy", "[DIR] [-auto-approve] [-allow-data-loss] [-lock-timeout D]", destroyHelp)
	var lf loadFlags
	lf.register(fs)
	var po planOptions
	fs.BoolVar(&po.allowDataLoss, "allow-data-loss", false, "delete block devices too")
	fs.DurationVar(&po.lockTimeout, "lock-timeout", 10*time.Second, "how long to wait for the data directory's lock")
	var ao applyOptions
	ao.register(fs)
	dir, err := parseDirArgs(fs, args)
	if err != nil {
		return err
	}
	if err := po.check(); err != nil {
		return err
	}
	if err := ao.check(); err != nil {
		return err
	}
	cfg, err := g.loadForDBDir(dir, &lf)
	if err != nil {
		return fmt.Errorf("%w (destroy needs it only for the data directory: give -dbdir to destroy without it)", err)
	}
	s, err := g.openHost(dir, cfg)
	if err != nil {
		return err
	}
	return s.applyPlan(ctx, &po, &ao, nil, true)
}
