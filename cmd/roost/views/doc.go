// Package views renders roost's results for people (text, optionally
// colored) and for scripts (versioned JSON). Renderers read the JSON
// structs, so the two forms cannot disagree.
package views
