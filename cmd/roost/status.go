package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
)

const statusHelp = `
Show the unikernels of the data directory as they are: state, pids,
uptime, restarts, last exit, memory (RSS), CPU time, per-tap traffic and
image digest. NAME shows one unikernel in detail. The data directory is
-dbdir, $ROOST_DBDIR, the roost block of the configuration in the current
directory, or /var/lib/roost.`

// statusJSON is the -json output of roost status: format_version and one
// entry per unikernel, sorted by name.
type statusJSON struct {
	FormatVersion string `json:"format_version"`
	DBDir         string `json:"dbdir"`
	// Applied says which configuration the host was last brought to
	// (dbdir/applied.json), if any.
	Applied    *provenance     `json:"applied,omitempty"`
	Unikernels []unikernelJSON `json:"unikernels"`
}

// unikernelJSON is one unikernel's status. State is the shim's state
// ("running", "backoff", "exited", "failed", "stopped", ...), or "dead"
// when status.json says the shim runs but none holds its lock.
type unikernelJSON struct {
	Name          string     `json:"name"`
	State         string     `json:"state"`
	ShimPID       int        `json:"shim_pid,omitempty"`
	TenderPID     int        `json:"tender_pid,omitempty"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	UptimeSeconds float64    `json:"uptime_seconds,omitempty"`
	Restarts      int        `json:"restarts"`
	LastExit      *plan.Exit `json:"last_exit,omitempty"`
	RSSBytes      int64      `json:"rss_bytes,omitempty"`
	CPUSeconds    float64    `json:"cpu_seconds,omitempty"`
	Image         string     `json:"image,omitempty"`
	ImageSHA256   string     `json:"image_sha256,omitempty"`
	Taps          []tapJSON  `json:"taps,omitempty"`
	Message       string     `json:"message,omitempty"`
}

type tapJSON struct {
	Name      string `json:"name"`
	Device    string `json:"device"`
	Bridge    string `json:"bridge"`
	RxBytes   uint64 `json:"rx_bytes"`
	TxBytes   uint64 `json:"tx_bytes"`
	RxPackets uint64 `json:"rx_packets"`
	TxPackets uint64 `json:"tx_packets"`
}

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
	out := statusJSON{FormatVersion: views.FormatVersion, DBDir: string(s.dbdir), Unikernels: []unikernelJSON{}}
	var prov provenance
	if platform.ReadJSON(provenanceFile(s.dbdir), &prov) == nil {
		out.Applied = &prov
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
		return writeJSON(g.stdout, out)
	}
	if len(pos) == 1 {
		writeStatusDetail(g.stdout, out.Unikernels[0])
		return nil
	}
	if out.Applied != nil {
		fmt.Fprintln(g.stdout, provenanceText(out.Applied))
	}
	if len(out.Unikernels) == 0 {
		fmt.Fprintf(g.stdout, "No unikernels in %s.\n", s.dbdir)
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tPID\tUPTIME\tRESTARTS\tLAST EXIT\tRSS\tCPU\tNET RX/TX")
	for _, u := range out.Unikernels {
		pid, uptime, rss, cpu := "-", "-", "-", "-"
		if u.TenderPID != 0 {
			pid = fmt.Sprint(u.TenderPID)
			uptime = shortDuration(time.Duration(u.UptimeSeconds * float64(time.Second)))
			rss = bytesText(uint64(u.RSSBytes))
			cpu = fmt.Sprintf("%.2fs", u.CPUSeconds)
		}
		var rx, tx uint64
		for _, t := range u.Taps {
			rx += t.RxBytes
			tx += t.TxBytes
		}
		net := "-"
		if len(u.Taps) > 0 {
			net = bytesText(rx) + "/" + bytesText(tx)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", u.Name, u.State, pid, uptime, u.Restarts, lastExitShort(u.LastExit), rss, cpu, net)
	}
	return tw.Flush()
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

func (s *session) unikernelStatus(ou plan.ObservedUnikernel) unikernelJSON {
	u := unikernelJSON{Name: ou.Name, State: "unknown", Message: ou.Problem}
	if sp := ou.Spec; sp != nil {
		u.Image, u.ImageSHA256 = sp.Image, sp.ImageSHA256
		for _, n := range sp.Nets {
			t := tapJSON{Name: n.Tap, Device: n.Device, Bridge: n.Bridge}
			if st, err := s.host.TapStats(n.Tap); err == nil {
				t.RxBytes, t.TxBytes, t.RxPackets, t.TxPackets = st.RxBytes, st.TxBytes, st.RxPackets, st.TxPackets
			}
			u.Taps = append(u.Taps, t)
		}
	}
	st := ou.Status
	if st == nil {
		if ou.Spec != nil {
			u.State = "not started"
		}
		return u
	}
	u.State = string(st.State)
	if !ou.ShimAlive && !st.State.Ended() {
		u.State = "dead"
		u.Message = fmt.Sprintf("status.json says %s, but no shim holds its lock (shim killed or host rebooted); roost apply starts it again", st.State)
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

func writeStatusDetail(w io.Writer, u unikernelJSON) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "name\t%s\n", u.Name)
	fmt.Fprintf(tw, "state\t%s\n", u.State)
	if u.Message != "" {
		fmt.Fprintf(tw, "message\t%s\n", u.Message)
	}
	if u.ShimPID != 0 {
		fmt.Fprintf(tw, "shim pid\t%d\n", u.ShimPID)
	}
	if u.TenderPID != 0 {
		fmt.Fprintf(tw, "tender pid\t%d\n", u.TenderPID)
		fmt.Fprintf(tw, "started\t%s (up %s)\n", u.StartedAt.UTC().Format(time.RFC3339), shortDuration(time.Duration(u.UptimeSeconds*float64(time.Second))))
		fmt.Fprintf(tw, "rss\t%s\n", bytesText(uint64(u.RSSBytes)))
		fmt.Fprintf(tw, "cpu time\t%.2fs\n", u.CPUSeconds)
	}
	fmt.Fprintf(tw, "restarts\t%d\n", u.Restarts)
	fmt.Fprintf(tw, "last exit\t%s\n", plan.ExitText(u.LastExit))
	if u.Image != "" {
		fmt.Fprintf(tw, "image\t%s\n", u.Image)
		fmt.Fprintf(tw, "image sha256\t%s\n", u.ImageSHA256)
	}
	for _, t := range u.Taps {
		fmt.Fprintf(tw, "net %s\ttap %s on %s: rx %s (%d packets), tx %s (%d packets)\n", t.Device, t.Name, t.Bridge, bytesText(t.RxBytes), t.RxPackets, bytesText(t.TxBytes), t.TxPackets)
	}
	tw.Flush()
}

// provenanceText says which configuration the host was last brought to.
func provenanceText(p *provenance) string {
	s := "Configuration: " + p.Dir
	if p.Commit != "" {
		s += " at commit " + p.Commit[:min(12, len(p.Commit))]
	}
	s += fmt.Sprintf(", applied %s ago by %s", shortDuration(time.Since(p.AppliedAt)), p.By)
	if p.Generation > 0 {
		s += fmt.Sprintf(" (generation %d)", p.Generation)
	}
	if p.Result != "ok" {
		s += ", with failures"
	}
	return s + "."
}

func lastExitShort(e *plan.Exit) string {
	switch {
	case e == nil:
		return "-"
	case e.Stopped:
		return "stopped"
	case e.Signal != "":
		return e.Signal
	case e.Code != nil:
		return fmt.Sprintf("code %d", *e.Code)
	}
	return "-"
}

func shortDuration(d time.Duration) string {
	switch {
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func bytesText(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
