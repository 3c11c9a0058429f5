package plan

//go:generate go run golang.org/x/tools/cmd/stringer@v0.38.0 -type Action

// Action is what a plan does to one resource. Its value is the symbol the
// plan text shows (Replace shows as "-/+").
type Action rune

// Actions.
const (
	NoOp    Action = 0
	Create  Action = '+'
	Start   Action = '>' // declared, exists, not running: start it
	Update  Action = '~'
	Replace Action = '±' // stop, then start with a new spec
	Delete  Action = '-'
	// Move renames a block or unikernel on the host (a moved block) and
	// changes nothing else. Like Terraform's, it has no symbol: the plan
	// text says "has moved to".
	Move Action = '→'
)

// Name is how JSON and step lines name a: "create", "start", "update",
// "replace", "delete", "move".
func (a Action) Name() string {
	switch a {
	case Create:
		return "create"
	case Start:
		return "start"
	case Update:
		return "update"
	case Replace:
		return "replace"
	case Delete:
		return "delete"
	case Move:
		return "move"
	}
	return "no-op"
}

// Symbol is how the plan text marks a.
func (a Action) Symbol() string {
	switch a {
	case Replace:
		return "-/+"
	case NoOp, Move:
		return " "
	}
	return string(rune(a))
}
