// Package views renders roost's results for people (text, optionally
// colored) and for scripts (versioned JSON). Renderers read the JSON
// structs, so the two forms cannot disagree. The JSON structs of each
// command (status, validate, inspect, the lines of apply -json) live here
// beside their text renderers; the plan's own JSON form is package
// planjson. Every JSON document carries planjson.FormatVersion.
package views
