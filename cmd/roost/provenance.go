package main

import (
	"path/filepath"
	"time"

	"github.com/roostd/roost/platform"
)

// provenance is dbdir/applied.json: which configuration the host was
// last brought to, when and by what, for roost status. Commit is the git
// commit of the directory's work tree; Generation counts watch's reloads
// (0 for roost apply).
type provenance struct {
	Dir        string    `json:"dir"`
	Commit     string    `json:"commit,omitempty"`
	Generation int       `json:"generation,omitempty"`
	AppliedAt  time.Time `json:"applied_at"`
	By         string    `json:"by"`
	Result     string    `json:"result"`
}

func provenanceFile(dbdir platform.DBDir) string { return filepath.Join(string(dbdir), "applied.json") }

// writeProvenance records p; failing to is not worth failing a pass for.
func writeProvenance(dbdir platform.DBDir, p provenance) {
	platform.WriteJSON(provenanceFile(dbdir), p)
}
