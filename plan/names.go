package plan

import "regexp"

// NameRule is the rule for unikernel, block and instance names, in words.
const NameRule = "a lower-case letter or digit, then up to 62 lower-case letters, digits, dots and dashes"

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}$`)

// ValidName reports whether s may name a unikernel, block or instance.
// Names become file names under the data directory, so this is also the
// path-safety rule: one path element, never "." or "..", nothing hidden.
// config checks it with a diagnostic; platform checks it again before it
// builds a path.
func ValidName(s string) bool { return nameRE.MatchString(s) }
