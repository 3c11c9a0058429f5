package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// figure is one JSON line of ROOST_BENCH_JSON, as cmd/roost's
// bench_live_test.go writes it (benchFigure).
type figure struct {
	Key    string    `json:"key"`
	What   string    `json:"what"`
	Unit   string    `json:"unit"`
	Runs   []float64 `json:"runs"`
	Median float64   `json:"median"`
}

func main() {
	in := flag.String("in", "bench.jsonl", "the benchmarks' figures, one JSON object a line")
	out := flag.String("o", "BENCH.md", "the file to write")
	command := flag.String("cmd", "", "the command that ran the benchmarks, for the record")
	goVersion := flag.String("go", runtime.Version(), "the Go that built the benchmarks (go version)")
	loadBefore := flag.String("loadavg", "", "/proc/loadavg's 1, 5 and 15 minute averages before the benchmarks ran")
	flag.Parse()
	figs, order, err := readFigures(*in)
	if err != nil {
		fmt.Fprintf(os.Stderr, "roost-benchtable: %v\n", err)
		os.Exit(1)
	}
	table := renderTable(figs)
	os.Stdout.WriteString(table)
	var b bytes.Buffer
	writeReport(&b, report{table: table, figs: figs, order: order, command: *command, goVersion: *goVersion, date: time.Now().UTC(),
		loadBefore: *loadBefore, loadAfter: loadAvg()})
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "roost-benchtable: %v\n", err)
		os.Exit(1)
	}
}

// readFigures reads the figures by key, and their keys in file order. A
// key seen twice keeps its last figure.
func readFigures(path string) (map[string]figure, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read figures: %w", err)
	}
	defer f.Close()
	figs := map[string]figure{}
	var order []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var fig figure
		if err := json.Unmarshal(sc.Bytes(), &fig); err != nil {
			return nil, nil, fmt.Errorf("read figures: %s:%d: %w", path, n, err)
		}
		if _, seen := figs[fig.Key]; !seen {
			order = append(order, fig.Key)
		}
		figs[fig.Key] = fig
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read figures: %w", err)
	}
	return figs, order, nil
}

// renderTable returns the table, in Markdown with its columns padded so
// that it reads as well on a terminal.
func renderTable(figs map[string]figure) string {
	cells := [][]string{{"measure", "runs", "median", "floor (same run)", "floor median", "ratio", "target", "result"}}
	for _, r := range rows {
		fig, ok := figs[r.key]
		if !ok {
			cells = append(cells, []string{r.label, "", "", r.floor, "", "", r.target, "not measured"})
			continue
		}
		c := []string{r.label, strconv.Itoa(len(fig.Runs)), value(fig.Median, fig.Unit), "", "", "", r.target, ""}
		var fv float64
		if r.floor != "" {
			floor, ok := figs[r.floor]
			if ok {
				fv = floor.Median
				c[3], c[4] = r.floor, value(floor.Median, floor.Unit)
				if fv != 0 {
					c[5] = fmt.Sprintf("%.2fx", fig.Median/fv)
				}
			} else {
				c[3], c[4] = r.floor, "not measured"
			}
		}
		switch {
		case r.ok == nil:
		case r.relative && fv == 0:
			c[7] = "no floor"
		case r.ok(fig.Median, fv):
			c[7] = "pass"
		default:
			c[7] = "MISS"
		}
		cells = append(cells, c)
	}
	return markdown(cells)
}

// value formats a figure with its unit: two decimals below 10, one above.
func value(v float64, unit string) string {
	switch {
	case v < 10 && v > -10:
		return fmt.Sprintf("%.2f %s", v, unit)
	default:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
}

// markdown lays out cells as a Markdown table, the first row its header.
func markdown(cells [][]string) string {
	width := make([]int, len(cells[0]))
	for _, r := range cells {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	line := func(r []string) {
		b.WriteString("|")
		for i, c := range r {
			fmt.Fprintf(&b, " %s%s |", c, strings.Repeat(" ", width[i]-len([]rune(c))))
		}
		b.WriteString("\n")
	}
	line(cells[0])
	sep := make([]string, len(width))
	for i, w := range width {
		sep[i] = strings.Repeat("-", w)
	}
	line(sep)
	for _, r := range cells[1:] {
		line(r)
	}
	return b.String()
}

// report is what BENCH.md holds.
type report struct {
	table     string
	figs      map[string]figure
	order     []string
	command   string
	goVersion string
	date      time.Time
	// loadBefore and loadAfter are the load averages before and after the
	// run: on a shared machine they say how much else competed for it.
	loadBefore, loadAfter string
}

func writeReport(w io.Writer, r report) {
	fmt.Fprintf(w, "# roost benchmarks\n\n")
	fmt.Fprintf(w, "Written by `make bench` (internal/cmd/roost-benchtable) on %s. Each figure is the median of its runs, beside its floor measured in the same run; the targets are those of issue 9. A miss is reported, not hidden: the table is where roost stands on this machine.\n\n", r.date.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "## Machine\n\n")
	fmt.Fprintf(w, "- CPUs (nproc): %d\n- CPU: %s\n- memory: %s\n- kernel: %s\n- Go: %s\n", runtime.NumCPU(), cpuModel(), memTotal(), kernel(), r.goVersion)
	if r.loadBefore != "" {
		fmt.Fprintf(w, "- load average (1, 5, 15 min) before the run: %s; after: %s. Other work on the machine slows figure and floor alike; compare each figure with its floor of the same run.\n", r.loadBefore, r.loadAfter)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "## Command\n\n```\nmake bench\n```\n\nwhich ran\n\n```\n%s\n```\n\n", r.command)
	fmt.Fprintf(w, "## Table\n\n%s\n", r.table)
	fmt.Fprintf(w, "## What each row measures\n\n")
	for _, row := range rows {
		fmt.Fprintf(w, "- **%s**: %s\n", row.label, row.about)
	}
	fmt.Fprintf(w, "\n## Figures\n\nEvery figure the benchmarks recorded, with its runs (in the order measured).\n\n")
	cells := [][]string{{"key", "what", "median", "runs"}}
	for _, k := range r.order {
		f := r.figs[k]
		runs := make([]string, len(f.Runs))
		for i, v := range f.Runs {
			runs[i] = strconv.FormatFloat(v, 'f', 2, 64)
		}
		cells = append(cells, []string{"`" + k + "`", f.What, value(f.Median, f.Unit), strings.Join(runs, ", ")})
	}
	io.WriteString(w, markdown(cells))
}

// loadAvg returns /proc/loadavg's 1, 5 and 15 minute averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err == nil {
				return fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return "unknown"
}

// kernel is what `uname -r` prints.
func kernel() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}
