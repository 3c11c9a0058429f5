package main

import (
	"encoding/json"
	"fmt"
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
	var value *string
	if len(args) == 3 {
		value = &args[2]
	}
	out, err := editJSON(b, args[1], value)
	ts.Check(err)
	ts.Check(os.WriteFile(path, out, 0o600))
}

// editJSON sets the dotted path in the JSON document b to the JSON value
// (nil: deletes it) and returns the document.
func editJSON(b []byte, path string, value *string) ([]byte, error) {
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	var v any
	if value != nil {
		if err := json.Unmarshal([]byte(*value), &v); err != nil {
			return nil, fmt.Errorf("value %q: %w", *value, err)
		}
	}
	keys := strings.Split(path, ".")
	cur := doc
	for i, k := range keys {
		last := i == len(keys)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if value != nil {
					c[k] = v
				} else {
					delete(c, k)
				}
			}
			cur = c[k]
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= len(c) {
				return nil, fmt.Errorf("%s: no index %q", path, k)
			}
			if last {
				if value == nil {
					return nil, fmt.Errorf("cannot delete list element %s", path)
				}
				c[n] = v
			}
			cur = c[n]
		default:
			return nil, fmt.Errorf("%s: %q is not inside an object or a list", path, k)
		}
	}
	return json.MarshalIndent(doc, "", "  ")
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
