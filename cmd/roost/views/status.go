package views

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roostd/roost/plan"
)

// Status is the -json output of roost status: format_version and one
// entry per unikernel, sorted by name.
type Status struct {
	FormatVersion string `json:"format_version"`
	DBDir         string `json:"dbdir"`
	// Applied says which configuration the host was last brought to
	// (dbdir/applied.json), if any.
	Applied    *Applied          `json:"applied,omitempty"`
	Unikernels []UnikernelStatus `json:"unikernels"`
}

// Applied is dbdir/applied.json: which configuration the host was last
// brought to, when and by what. Commit is the git commit of the
// directory's work tree; Generation counts watch's reloads (0 for roost
// apply); Result is "ok" or "failed".
type Applied struct {
	Dir        string    `json:"dir"`
	Commit     string    `json:"commit,omitempty"`
	Generation int       `json:"generation,omitempty"`
	AppliedAt  time.Time `json:"applied_at"`
	By         string    `json:"by"` // "roost apply", "roost watch"
	Result     string    `json:"result"`
}

// UnikernelStatus is one unikernel's status. State is the shim's state
// ("running", "backoff", "exited", "failed", "stopped", ...), "not
// started" when it was applied but never started, or "dead" when
// status.json says the shim runs but none holds its lock. The tender's
// pid, start, uptime, RSS and CPU time are present while it runs.
type UnikernelStatus struct {
	Name          string      `json:"name"`
	State         string      `json:"state"`
	ShimPID       int         `json:"shim_pid,omitempty"`
	TenderPID     int         `json:"tender_pid,omitempty"`
	StartedAt     *time.Time  `json:"started_at,omitempty"`
	UptimeSeconds float64     `json:"uptime_seconds,omitempty"`
	Restarts      int         `json:"restarts"`
	LastExit      *plan.Exit  `json:"last_exit,omitempty"`
	RSSBytes      int64       `json:"rss_bytes,omitempty"`
	CPUSeconds    float64     `json:"cpu_seconds,omitempty"`
	Image         string      `json:"image,omitempty"`
	ImageSHA256   string      `json:"image_sha256,omitempty"`
	Taps          []TapStatus `json:"taps,omitempty"`
	Message       string      `json:"message,omitempty"`
	// TenderUser is who the tender runs as (issue 13): TenderUnprivileged
	// (a uid of its own, TenderUID, with no capabilities and
	// NO_NEW_PRIVS) or TenderRoot; absent where the platform does not
	// say (FreeBSD, where tenders run as root).
	TenderUser string `json:"tender_user,omitempty"`
	TenderUID  int    `json:"tender_uid,omitempty"`
}

// The values of UnikernelStatus.TenderUser.
const (
	TenderUnprivileged = "unprivileged"
	TenderRoot         = "root"
)

// TapStatus is a unikernel's tap and its traffic counters.
type TapStatus struct {
	Name      string `json:"name"`
	Device    string `json:"device"` // the manifest's device name
	Bridge    string `json:"bridge"`
	RxBytes   uint64 `json:"rx_bytes"`
	TxBytes   uint64 `json:"tx_bytes"`
	RxPackets uint64 `json:"rx_packets"`
	TxPackets uint64 `json:"tx_packets"`
}

// WriteStatus prints s as roost status does: the configuration applied
// (its age as of now), then a table, one row per unikernel.
func WriteStatus(w io.Writer, s *Status, now time.Time) error {
	if s.Applied != nil {
		fmt.Fprintln(w, appliedText(s.Applied, now))
	}
	if len(s.Unikernels) == 0 {
		fmt.Fprintf(w, "No unikernels in %s.\n", s.DBDir)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tPID\tUPTIME\tRESTARTS\tLAST EXIT\tRSS\tCPU\tNET RX/TX")
	for _, u := range s.Unikernels {
		pid, uptime, rss, cpu := "-", "-", "-", "-"
		if u.TenderPID != 0 {
			pid = fmt.Sprint(u.TenderPID)
			uptime = shortDuration(u.uptime())
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

// WriteStatusDetail prints one unikernel's status, a line per fact, as
// roost status NAME does.
func WriteStatusDetail(w io.Writer, u UnikernelStatus) {
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
		fmt.Fprintf(tw, "started\t%s (up %s)\n", u.StartedAt.UTC().Format(time.RFC3339), shortDuration(u.uptime()))
		fmt.Fprintf(tw, "rss\t%s\n", bytesText(uint64(u.RSSBytes)))
		fmt.Fprintf(tw, "cpu time\t%.2fs\n", u.CPUSeconds)
	}
	switch u.TenderUser {
	case TenderUnprivileged:
		fmt.Fprintf(tw, "tender user\tuid %d, unprivileged (no capabilities, no_new_privs)\n", u.TenderUID)
	case TenderRoot:
		fmt.Fprintf(tw, "tender user\troot, every capability (unprivileged = false)\n")
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

func (u *UnikernelStatus) uptime() time.Duration {
	return time.Duration(u.UptimeSeconds * float64(time.Second))
}

// appliedText says which configuration the host was last brought to.
func appliedText(a *Applied, now time.Time) string {
	s := "Configuration: " + a.Dir
	if a.Commit != "" {
		s += " at commit " + a.Commit[:min(12, len(a.Commit))]
	}
	s += fmt.Sprintf(", applied %s ago by %s", shortDuration(now.Sub(a.AppliedAt)), a.By)
	if a.Generation > 0 {
		s += fmt.Sprintf(" (generation %d)", a.Generation)
	}
	if a.Result != "ok" {
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

// bytesText is a count of bytes as people read it: "512 B", "1.5 KiB",
// "3.2 GiB".
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
