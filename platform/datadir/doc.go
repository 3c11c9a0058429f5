// Package datadir is roost's data directory: its layout (which file is
// where), the formats of the files in it (spec.json, status.json,
// applied.json, the console log) and the only way to reach them, beneath
// the directory and without following symbolic links.
//
// It is a leaf: it imports no other roost package, so that the shim, the
// platform and the commands share one definition of every file. The shim
// writes status.json and the console; platform writes spec.json and reads
// all of them back for plan, which gets them converted into its own plain
// types. Everything read back is untrusted input: a file roost wrote earlier
// may have been edited, truncated or replaced since.
//
// The shim's state machine is defined here, with the states status.json
// records (state.go), so that the diagram exists once.
package datadir
