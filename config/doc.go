// Package config reads a directory of roost HCL files into the host they
// declare (a plan.Desired). It merges every *.hcl file of the directory,
// resolves variables, locals, functions, count and for_each, and checks
// everything that needs no host: names, references, MACs, durations,
// depends_on cycles, and that each image is a Solo5 image whose manifest
// names exactly the devices declared for it. Every problem is an
// hcl.Diagnostic with a source range; all of them are reported at once.
//
// The pipeline, in order: parse files (load.go), collect declarations
// (decl.go), resolve variables and locals (variables.go, locals.go), expand
// count and for_each and decode each instance (decode.go), then check the
// whole (check.go, images.go). Format (fmt.go) is separate: it only needs
// a file to parse. DirWatcher (watch.go) tells roost watch when the
// directory, or a file the configuration names, may have changed.
package config
