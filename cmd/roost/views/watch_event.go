package views

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
)

// WatchEventLine renders a watch event as a line of roost watch -json;
// dir is the configuration directory, which some messages name.
func WatchEventLine(e apply.WatchEvent, dir string) WatchLine {
	l := newWatchLine(e.Time, LevelInfo, string(e.Kind), "")
	switch e.Kind {
	case apply.KindConfig:
		l.Message = configMessage(e)
		if e.Generation > 0 {
			l.Generation = ptr(e.Generation)
		}
		l.Commit = e.Commit
	case apply.KindInvalid:
		l.Level = LevelError
		l.Message = fmt.Sprintf("configuration in %s is invalid: %v", dir, e.Err)
		if e.Generation > 0 {
			l.Message += fmt.Sprintf("; generation %d stays in force", e.Generation)
		}
	case apply.KindDrift:
		l.Message = e.Reason
	case apply.KindProblem:
		l.Level = LevelError
		if e.Problem != nil {
			l.Message = e.Problem.String()
		}
	case apply.KindError:
		l.Level = LevelError
		l.Message = errorMessage(e.Err)
	case apply.KindStep:
		stepLine(&l, e)
	case apply.KindPass:
		passLine(&l, e)
	}
	return l
}

// configMessage says what a config event is about: a notice, a new
// generation, or the configuration valid again.
func configMessage(e apply.WatchEvent) string {
	switch {
	case e.Reason != "":
		return e.Reason
	case e.Desired == nil:
		return fmt.Sprintf("configuration valid again, as generation %d", e.Generation)
	}
	d := e.Desired
	msg := fmt.Sprintf("configuration generation %d: %s, %s, %s", e.Generation,
		count(len(d.Unikernels), "unikernel"), count(len(d.Bridges), "bridge"), count(len(d.Blocks), "block"))
	if e.Commit != "" {
		msg += " at commit " + shortHash(e.Commit)
	}
	return msg
}

// errorMessage says what went wrong, and for a problem of watching the
// directory what watch does about it.
func errorMessage(err error) string {
	var we *config.WatchError
	switch {
	case errors.Is(err, config.ErrDirGone) && errors.As(err, &we):
		return fmt.Sprintf("configuration directory %s is gone; the last good configuration stays in force until it is back", we.Dir)
	case errors.As(err, &we):
		return fmt.Sprintf("watching %s: %v; rescanning", we.Dir, we.Err)
	case err == nil:
		return ""
	}
	return err.Error()
}

func stepLine(l *WatchLine, e apply.WatchEvent) {
	l.Address = e.Address
	l.Action = e.Action.Name()
	l.Phase = string(e.Phase)
	l.DurationMS = ptr(e.Duration.Milliseconds())
	name := strings.TrimPrefix(e.Address, plan.KindUnikernel+".")
	if e.Phase != apply.PhaseDone {
		l.Level = LevelError
		l.Message = fmt.Sprintf("%s: %s: %v", name, e.Phase, e.Err)
		l.Error = fmt.Sprint(e.Err)
		return
	}
	l.Message = fmt.Sprintf("%s: %s", name, Done(e.Action.Name()))
	if e.Change != nil {
		l.Detail = changeDetail(e.Change)
	}
	if l.Detail != "" {
		l.Message += " (" + l.Detail + ")"
	}
	l.Message += fmt.Sprintf(" in %d ms", e.Duration.Milliseconds())
}

func passLine(l *WatchLine, e apply.WatchEvent) {
	l.Generation = ptr(e.Generation)
	l.Result = string(e.Result)
	l.Changes = ptr(e.Changes)
	l.Failed = ptr(e.Failed)
	l.DurationMS = ptr(e.Duration.Milliseconds())
	l.Reasons = e.Reasons
	l.Commit = e.Commit
	switch {
	case e.Err != nil:
		l.Message = e.Err.Error()
	case e.Result == apply.PassBlocked:
		l.Message = "a host-wide check failed; nothing applied"
	case e.Result == apply.PassInvalid:
		l.Message = "no valid configuration yet"
	default:
		l.Message = fmt.Sprintf("pass: %d change%s, %s in %d ms", e.Changes, plural(e.Changes), e.Result, e.Duration.Milliseconds())
	}
	if e.Result == apply.PassFailed {
		l.Level = LevelError
	}
}

// changeDetail says briefly what a change changes: "image sha256
// 3f2a5b0c.. -> 91bc7d2e..", "memory 32 MiB -> 64 MiB", or its reason.
func changeDetail(c *plan.Change) string {
	var parts []string
	for _, f := range c.Fields {
		if f.Before == "" || f.After == "" {
			continue
		}
		if f.Name == "image" && c.Prior != nil && c.Prior.Spec != nil && c.Spec != nil {
			parts = append(parts, fmt.Sprintf("image sha256 %s.. -> %s..", shortHash(c.Prior.Spec.ImageSHA256), shortHash(c.Spec.ImageSHA256)))
			continue
		}
		if len(f.Before)+len(f.After) > 80 {
			parts = append(parts, f.Name)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s -> %s", f.Name, f.Before, f.After))
	}
	if len(parts) == 0 {
		return strings.Join(c.Reasons, "; ")
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// count says "1 unikernel", "2 unikernels".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func shortHash(h string) string {
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

func ptr[T any](v T) *T { return &v }
