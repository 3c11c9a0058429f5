package main

import "github.com/roostd/roost/platform/datadir"

// writeProvenance records p in applied.json; failing to is not worth
// failing a pass for.
func writeProvenance(dbdir datadir.Dir, p datadir.Applied) {
	dbdir.WriteJSON(dbdir.Applied(), p)
}
