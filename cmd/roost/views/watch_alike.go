package views

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/roostd/roost/apply"
)

// alikeProblems holds, for the text form of watch, the problems of a
// pass that repeat one already printed: watch reports each problem as an
// event, and a host check that fails for every unikernel (a device
// node's mode) would otherwise print a thousand lines alike. The first
// of each message is printed at once; the others are counted here and
// named in one line before watch's next line. The JSON form keeps an
// event per problem.
type alikeProblems struct {
	order []string            // messages, as first seen
	first map[string]string   // message -> the resource first printed with it
	more  map[string][]string // message -> the others: "unikernel.b (main.hcl:9)"
	last  time.Time           // the time of the last one held
}

// add reports whether e repeats a message printed since the last flush
// (and holds it), or is new (then printed by the caller).
func (a *alikeProblems) add(e apply.WatchEvent) (held bool) {
	p := e.Problem
	if a.first == nil {
		a.first, a.more = map[string]string{}, map[string][]string{}
	}
	if _, seen := a.first[p.Message]; !seen {
		a.first[p.Message] = p.Resource
		a.order = append(a.order, p.Message)
		return false
	}
	where := p.Resource
	if p.Pos.File != "" {
		where += fmt.Sprintf(" (%s)", p.Pos)
	}
	a.more[p.Message] = append(a.more[p.Message], where)
	a.last = e.Time
	return true
}

// flush returns the lines naming the problems held, and forgets every
// message: "the same problem as unikernel.a (/dev/kvm is mode 0600, …)
// for 999 more: unikernel.b (main.hcl:13), …".
func (a *alikeProblems) flush() (at time.Time, lines []string) {
	for _, msg := range a.order {
		if more := a.more[msg]; len(more) > 0 {
			lines = append(lines, fmt.Sprintf("the same problem as %s (%s) for %s", a.first[msg], clip(msg, 48), alikeList(more)))
		}
	}
	at = a.last
	*a = alikeProblems{}
	return at, lines
}

// clip shortens s to about n bytes at a word's end, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut <= 0 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) { // not within a character
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,:;") + "…"
}
