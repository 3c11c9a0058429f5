package main

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/roostd/roost/plan/planfile"
)

// cmdJSONSet edits a JSON file the way a hostile operator would, for the
// scripts that check that an edited plan file is refused (issue 8):
//
//	jsonset FILE PATH VALUE   set PATH (dotted: plan.changes.0.action) to the JSON VALUE
//	jsonset FILE PATH         delete PATH
func cmdJSONSet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: jsonset FILE PATH [JSON-VALUE]")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	var doc any
	ts.Check(json.Unmarshal(b, &doc))
	keys := strings.Split(args[1], ".")
	var value any
	if len(args) == 3 {
		ts.Check(json.Unmarshal([]byte(args[2]), &value))
	}
	cur := doc
	for i, k := range keys {
		last := i == len(keys)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if len(args) == 3 {
					c[k] = value
				} else {
					delete(c, k)
				}
			}
			cur = c[k]
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= len(c) {
				ts.Fatalf("jsonset: %s: no index %q", args[1], k)
			}
			if last {
				if len(args) == 3 {
					c[n] = value
				} else {
					ts.Fatalf("jsonset: cannot delete list element %s", args[1])
				}
			}
			cur = c[n]
		default:
			ts.Fatalf("jsonset: %s: %q is not inside an object or a list", args[1], k)
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(path, out, 0o600))
}

// cmdPlanRedigest recomputes the options digest of an edited plan file,
// as a deliberate forger would, to show that apply still refuses what the
// file no longer describes truthfully:
//
//	planredigest FILE
func cmdPlanRedigest(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: planredigest FILE")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	var f planfile.File
	ts.Check(json.Unmarshal(b, &f))
	f.OptionsDigest = f.Options().Digest()
	out, err := json.MarshalIndent(f, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(path, out, 0o600))
}
