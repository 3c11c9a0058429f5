package views

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/plan/planjson"
)

// Types of watch's own lines, beside the apply.EventKind values.
const (
	WatchStart       = "start"       // watch began
	WatchStop        = "stop"        // watch ended
	WatchMetrics     = "metrics"     // metrics are served
	WatchNoDrift     = "drift"       // no drift events: resyncs only
	WatchDiagnostics = "diagnostics" // why the configuration is invalid
)

// Levels of watch's lines.
const (
	LevelInfo  = "INFO"
	LevelWarn  = "WARN"
	LevelError = "ERROR"
)

// WatchLine is one line of `roost watch -json`. Consumers may rely on
// time, level, message, format_version and type in every line; the other
// fields appear with the types named below. New fields may appear without
// a version change.
type WatchLine struct {
	// Time is when it happened: RFC 3339 with nanoseconds, in UTC.
	Time string `json:"time"`
	// Level is "INFO", "WARN" or "ERROR".
	Level string `json:"level"`
	// Message is the line for people, as roost watch prints it without
	// -json (which shows a pass without changes only with -v, and words
	// it differently).
	Message       string `json:"message"`
	FormatVersion string `json:"format_version"`
	// Type is "start", "stop", "metrics", "drift" (with level WARN: host
	// drift cannot be watched, so only resyncs notice it), "diagnostics",
	// or the kind of a watch event: "config", "invalid", "drift",
	// "problem", "step", "pass", "error".
	Type string `json:"type"`

	// Action is the step's action: "create", "start", "update",
	// "replace", "delete". For step.
	Action string `json:"action,omitempty"`
	// Address is the step's resource: "unikernel.web". For step.
	Address string `json:"address,omitempty"`
	// Changes is how many changes the pass tried. For pass.
	Changes *int `json:"changes,omitempty"`
	// Commit is the git commit of the configuration in force, when it
	// is in a work tree. For pass and config.
	Commit string `json:"commit,omitempty"`
	// Detail says briefly what a done step changed: "image sha256
	// 3f2a5b0c.. -> 91bc7d2e..", "memory 32 MiB -> 64 MiB", or its
	// reason. For step, when known.
	Detail string `json:"detail,omitempty"`
	// Diagnostics are the problems of the configuration. For
	// diagnostics.
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
	// DurationMS is how long the step or pass took, in milliseconds. For
	// step and pass.
	DurationMS *int64 `json:"duration_ms,omitempty"`
	// Error is why a step failed or was skipped. For step.
	Error string `json:"error,omitempty"`
	// Failed is how many changes of the pass failed or were skipped. For
	// pass.
	Failed *int `json:"failed,omitempty"`
	// Generation counts the valid configurations with new content: 1 for
	// the first, 0 while there is none. For pass; for config when known.
	Generation *int `json:"generation,omitempty"`
	// Phase is how the step ended: "done", "failed", "skipped". For step.
	Phase string `json:"phase,omitempty"`
	// Reasons say why the pass ran: "start", "resync", "retry", "SIGHUP",
	// "rescan", "config changed: main.hcl", "drift: ...". For pass.
	Reasons []string `json:"reasons,omitempty"`
	// Result is how the pass ended: "ok", "failed", "noop", "invalid",
	// "blocked". For pass.
	Result string `json:"result,omitempty"`
}

// WatchOptions shape a Watch view.
type WatchOptions struct {
	// Dir is the configuration directory, which some lines name.
	Dir string
	// JSON prints JSON lines instead of text.
	JSON bool
	// Verbose also prints, as text, the passes that changed nothing.
	Verbose bool
	// Colors colors the diagnostics of the text form.
	Colors bool
	// Now is the clock of watch's own lines; nil means time.Now.
	Now func() time.Time
}

// Watch prints what roost watch does: a line each for people, or JSON
// lines for log shippers. Its methods may be called from any goroutine.
type Watch struct {
	opts WatchOptions

	mu    sync.Mutex // serializes the writes to w
	w     io.Writer
	alike alikeProblems // the text form's repeated problems, not yet named
}

// NewWatch returns a view printing to w.
func NewWatch(w io.Writer, opts WatchOptions) *Watch {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Watch{opts: opts, w: w}
}

// Started says watch began.
func (v *Watch) Started(dbdir string) {
	v.line(v.opts.Now(), LevelInfo, WatchStart, fmt.Sprintf("watching %s (data directory %s)", v.opts.Dir, dbdir))
}

// Stopped says watch ended.
func (v *Watch) Stopped() {
	v.line(v.opts.Now(), LevelInfo, WatchStop, "stopped; the unikernels keep running under their shims")
}

// ServingMetrics says where the metrics are served.
func (v *Watch) ServingMetrics(addr string) {
	v.line(v.opts.Now(), LevelInfo, WatchMetrics, "serving metrics on http://"+addr+"/metrics")
}

// NoDrift says host drift cannot be watched (err), so that only the
// resyncs every resync notice it.
func (v *Watch) NoDrift(err error, resync time.Duration) {
	v.line(v.opts.Now(), LevelWarn, WatchNoDrift, fmt.Sprintf("%v; relying on the %s resync", err, resync))
}

// Diagnostics prints why the configuration is invalid, with file, line
// and source, or as one JSON line holding them.
func (v *Watch) Diagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) {
	if v.opts.JSON {
		now := v.opts.Now()
		l := newWatchLine(now, LevelError, WatchDiagnostics, fmt.Sprintf("%d problems in the configuration", len(diags)))
		l.Diagnostics = JSONDiagnostics(diags, files)
		v.print(now, l)
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.flushAlike()
	WriteDiagnostics(v.w, diags, files, v.opts.Colors)
}

// Event prints a watch event.
func (v *Watch) Event(e apply.WatchEvent) {
	l := WatchEventLine(e, v.opts.Dir)
	if !v.opts.JSON && e.Kind == apply.KindProblem && e.Problem != nil {
		v.mu.Lock()
		held := v.alike.add(e)
		v.mu.Unlock()
		if held {
			return
		}
	}
	if !v.opts.JSON && e.Kind == apply.KindPass && e.Result == apply.PassNoop {
		if !v.opts.Verbose {
			v.mu.Lock()
			v.flushAlike()
			v.mu.Unlock()
			return
		}
		l.Message = "pass: no changes (" + strings.Join(e.Reasons, ", ") + ")"
	}
	v.print(e.Time, l)
}

func (v *Watch) line(t time.Time, level, typ, msg string) {
	v.print(t, newWatchLine(t, level, typ, msg))
}

// print writes l as a JSON line, or as the time of day t and the message.
func (v *Watch) print(t time.Time, l WatchLine) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.opts.JSON {
		WriteWatchJSON(v.w, l)
		return
	}
	if l.Type != string(apply.KindProblem) {
		v.flushAlike()
	}
	fmt.Fprintf(v.w, "%s %s\n", t.Format("15:04:05.000"), l.Message)
}

// flushAlike prints the lines that name the problems held as alike; the
// caller holds mu.
func (v *Watch) flushAlike() {
	at, lines := v.alike.flush()
	for _, line := range lines {
		fmt.Fprintf(v.w, "%s %s\n", at.Format("15:04:05.000"), line)
	}
}

// WriteWatchJSON writes l as one line of JSON. As log/slog does, it
// leaves <, > and & unescaped.
func WriteWatchJSON(w io.Writer, l WatchLine) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(l)
}

func newWatchLine(t time.Time, level, typ, msg string) WatchLine {
	return WatchLine{Time: t.UTC().Format(time.RFC3339Nano), Level: level, Message: msg,
		FormatVersion: planjson.FormatVersion, Type: typ}
}
