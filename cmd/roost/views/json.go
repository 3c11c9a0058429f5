package views

import (
	"encoding/json"
	"io"
)

// WriteJSON writes v as one indented JSON document: the -json output of
// plan, status, validate and inspect.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONLine writes v as one line of JSON (JSON lines, for log shippers
// and scripts).
func writeJSONLine(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("BUG: unencodable JSON line: " + err.Error())
	}
	w.Write(append(b, '\n'))
}
