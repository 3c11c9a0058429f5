// Package regfile opens the files a configuration names (the *.hcl files,
// var files, file() arguments, images, block sources and a work tree's git
// files) so that no such file can hang or exhaust roost: a named pipe, a
// device or a socket is refused without blocking, and a regular file is read
// only up to a limit. It is a leaf: config and platform/solo5 both use it.
// See issue 8, finding 8: a FIFO named as an image hung roost for good, and
// file("/dev/zero") grew its memory without limit.
package regfile
