// Package archtest holds the test of roost's import rules (DESIGN.md,
// "Layout"): data flows one way, config -> plan -> apply -> platform; plan
// never reaches the host; the shim is a small leaf binary. It has no code
// of its own.
package archtest
