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
)

// Symbol is how the plan text marks a.
func (a Action) Symbol() string {
	switch a {
	case Replace:
		return "-/+"
	case NoOp:
		return " "
	}
	return string(rune(a))
}
