package main

import (
	"fmt"
	"io"

	"github.com/roostd/roost/internal/albatross"
	"github.com/roostd/roost/platform/datadir"
)

// printImport tells the operator what import did and what comes next.
func printImport(w io.Writer, st *albatross.State, imp *albatrossImport, dir, blocks string, dbdir datadir.Dir, moved []string) {
	fmt.Fprintf(w, "Imported %d unikernels from an albatross state dump (state version [%d], unikernel config version %d) into %s.\n",
		len(imp.names), st.Tag, st.ConfigVersion, dir)
	if len(imp.Renamed) > 0 {
		fmt.Fprintln(w, "\nNames (albatross -> roost):")
		for _, r := range imp.Renamed {
			fmt.Fprintf(w, "  %-30s %s\n", r[0], r[1])
		}
	}
	switch {
	case len(imp.Blocks) == 0:
	case blocks == "none":
		fmt.Fprintf(w, "\n%d blocks declared, none carried over (-blocks none): copy them into roost's block directory yourself, or apply creates them empty.\n", len(imp.Blocks))
	default:
		verb := map[string]string{"copy": "Copied (SHA-256 verified)", "move": "Moved"}[blocks]
		fmt.Fprintf(w, "\n%s %d of %d blocks into %s:\n", verb, len(moved), len(imp.Blocks), dbdir.BlockDir())
		for _, b := range moved {
			fmt.Fprintf(w, "  %s\n", b)
		}
	}
	if len(imp.Notes) > 0 {
		fmt.Fprintln(w, "\nCheck these (comments in the files say the same):")
		for _, n := range imp.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	fmt.Fprintf(w, `
Next:
  roost validate %[1]s   names what roost cannot take as albatross had it
  roost plan %[1]s       shows creating everything
  stop albatrossd (systemctl stop albatross_daemon, or service albatross_daemon stop),
  then: roost apply %[1]s
`, dir)
}
