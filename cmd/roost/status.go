package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/plan/planjson"
	"github.com/roostd/roost/platform/datadir"
)

const statusHelp = `
Show the unikernels of the data directory as they are: state, pids,
uptime, restarts, last exit, memory (RSS), CPU time, per-tap traffic and
image digest. NAME shows one unikernel in detail. The data directory is
-dbdir, $ROOST_DBDIR, the roost block of the configuration in the current
directory, or /var/lib/roost.`

func runStatus(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "status", "[NAME] [-json]", statusHelp)
	jsonOut := fs.Bool("json", false, "print the status as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("too many arguments %q; give at most one unikernel name", pos)
	}
	s, err := g.openHost(".", localConfig())
	if err != nil {
		return err
	}
	o, err := s.host.Observe(ctx)
	if err != nil {
		return fmt.Errorf("observe host: %w", err)
	}
	out := views.Status{FormatVersion: planjson.FormatVersion, DBDir: string(s.dbdir), Unikernels: []views.UnikernelStatus{}}
	var prov datadir.Applied
	if s.dbdir.ReadJSON(s.dbdir.Applied(), &prov) == nil {
		// views.Applied has applied.json's fields: this conversion stops
		// compiling when the two part.
		applied := views.Applied(prov)
		out.Applied = &applied
	}
	names := make([]string, 0, len(o.Unikernels))
	for n := range o.Unikernels {
		if len(pos) == 0 || n == pos[0] {
			names = append(names, n)
		}
	}
	if len(pos) == 1 && len(names) == 0 {
		return fmt.Errorf("no unikernel %q in %s", pos[0], s.dbdir)
	}
	sort.Strings(names)
	for _, n := range names {
		out.Unikernels = append(out.Unikernels, s.unikernelStatus(o.Unikernels[n]))
	}
	if *jsonOut {
		return views.WriteJSON(g.stdout, out)
	}
	if len(pos) == 1 {
		views.WriteStatusDetail(g.stdout, out.Unikernels[0])
		return nil
	}
	return views.WriteStatus(g.stdout, &out, time.Now())
}

// localConfig loads the configuration in the current directory if there is
// one and it is valid, for its roost block's dbdir; status and logs do not
// need it otherwise.
func localConfig() *config.Config {
	if m, _ := filepath.Glob("*.hcl"); len(m) == 0 {
		return nil
	}
	cfg, diags := config.Load(".", config.Options{})
	if diags.HasErrors() {
		return nil
	}
	return cfg
}

func (s *session) unikernelStatus(ou plan.ObservedUnikernel) views.UnikernelStatus {
	u := views.UnikernelStatus{Name: ou.Name, State: "unknown", Message: ou.Problem}
	if sp := ou.Spec; sp != nil {
		u.Image, u.ImageSHA256 = sp.Image, sp.ImageSHA256
		switch {
		case sp.UID != 0:
			u.TenderUser, u.TenderUID = views.TenderUnprivileged, sp.UID
		case sp.RunAsRoot:
			u.TenderUser = views.TenderRoot
		}
		for _, n := range sp.Nets {
			t := views.TapStatus{Name: n.Tap, Device: n.Device, Bridge: n.Bridge}
			if st, err := s.host.TapStats(n.Tap); err == nil {
				t.RxBytes, t.TxBytes, t.RxPackets, t.TxPackets = st.RxBytes, st.TxBytes, st.RxPackets, st.TxPackets
			}
			u.Taps = append(u.Taps, t)
		}
	}
	st := ou.Status
	if st == nil {
		// Say what was seen: no status.json, or one that could not be
		// read (issue 8, finding 13: garbage in it read "not started").
		switch {
		case ou.StatusProblem != "" && ou.StatusProblem != "missing":
			u.Message = "status.json unreadable: " + ou.StatusProblem
			if ou.ShimAlive {
				u.Message += fmt.Sprintf("; a shim (pid %d) holds shim.lock", ou.ShimPID)
			}
		case ou.Spec != nil && ou.ShimAlive:
			u.State = "starting"
			u.Message = fmt.Sprintf("a shim (pid %d) holds shim.lock and has not written status.json yet", ou.ShimPID)
		case ou.Spec != nil:
			u.State = "not started"
			u.Message = "no status.json"
		}
		return u
	}
	u.State = string(st.State)
	if !ou.ShimAlive && !st.State.Ended() {
		u.State = "dead"
		u.Message = fmt.Sprintf("status.json says %s, but no shim holds its lock (shim killed or host rebooted); roost apply starts it again", st.State)
	}
	switch {
	case ou.ShimAlive && ou.TenderAlive && (ou.TenderProcState == "T" || ou.TenderProcState == "t"):
		u.State = "paused (SIGSTOP)"
		u.Message = fmt.Sprintf("tender pid %d is stopped: the guest runs no code (kill -CONT %d resumes it)", st.TenderPID, st.TenderPID)
	case ou.ShimAlive && (ou.ShimProcState == "T" || ou.ShimProcState == "t"):
		u.State = string(st.State) + ", shim paused (SIGSTOP)"
		u.Message = fmt.Sprintf("shim pid %d is stopped: it restarts nothing (kill -CONT %d resumes it)", ou.ShimPID, ou.ShimPID)
	}
	u.ShimPID = st.ShimPID
	u.Restarts = st.Restarts
	u.LastExit = st.LastExit
	if st.Message != "" && u.Message == "" {
		u.Message = st.Message
	}
	if ou.TenderAlive {
		u.TenderPID = st.TenderPID
		started := st.StartedAt
		u.StartedAt = &started
		u.UptimeSeconds = time.Since(started).Seconds()
		if ps, err := s.host.ProcessStats(st.TenderPID); err == nil {
			u.RSSBytes = ps.RSSBytes
			u.CPUSeconds = ps.CPUTime.Seconds()
		}
	}
	return u
}
