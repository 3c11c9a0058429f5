// Package planfile reads and writes saved plan files: what `roost plan
// -out FILE` writes and `roost apply FILE` reads. A file holds the plan in
// its JSON form (package planjson) and everything that shaped it (the
// directory, data directory, variables, targets, replacements and
// options), so that apply can make the plan again and refuse it when the
// configuration or the host changed since. The layout follows Terraform's
// internal/plans/planfile: the format, a reader and a writer.
package planfile
