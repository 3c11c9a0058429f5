package config

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/roostd/roost/internal/regfile"
)

// MaxFileSize bounds each file roost reads whole from a configuration: the
// *.hcl files, -var-file files and the file() function's argument. A file
// that is not a regular file (a named pipe, a device, a directory) is
// refused without being read; see issue 8, finding 8.
const MaxFileSize = 16 << 20

// maxGitFile bounds the git files GitCommit reads; packed-refs of a large
// repository runs to a few MiB.
const maxGitFile = 64 << 20

// readSource reads a configuration or var file, name as diagnostics show
// it, for parsing. A refusal is a diagnostic at the file's first line.
func readSource(name, what string) ([]byte, *hcl.Diagnostic) {
	src, err := regfile.ReadFile(name, MaxFileSize)
	if err != nil {
		return nil, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unreadable " + what,
			Detail:   fmt.Sprintf("The %s %s cannot be read: %s. roost reads only regular files of at most %s.", what, name, pathErrText(err), regfile.Size(MaxFileSize)),
			Subject:  &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
		}
	}
	return src, nil
}

// Mentions reports whether a configuration file of dir (those Load reads)
// holds one of words, or cannot be read: a cheap, conservative "might the
// configuration set this", for a caller that starts work before loading
// it (roost plan reads the host meanwhile unless the configuration might
// name another data directory or tender uids).
func Mentions(dir string, words ...string) bool {
	files, err := configFiles(dir)
	if err != nil {
		return true
	}
	for _, f := range files {
		src, err := regfile.ReadFile(f, MaxFileSize)
		if err != nil {
			return true
		}
		for _, w := range words {
			if bytes.Contains(src, []byte(w)) {
				return true
			}
		}
	}
	return false
}
