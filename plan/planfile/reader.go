package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/plan/planjson"
)

// ErrNotPlanFile means a file is not a plan file roost plan -out wrote:
// another kind of document, or not JSON at all.
var ErrNotPlanFile = errors.New("not a plan file written by roost plan -out")

// Read reads the plan file at path, or says why it is not one. The file
// is untrusted input (issue 8, finding 11): it must be a regular file of at
// most MaxSize bytes (a FIFO is refused, not waited on), and every field
// is checked, as Parse does.
func Read(path string) (*File, error) {
	b, err := regfile.ReadFile(path, MaxSize)
	var notRegular *regfile.NotRegularError
	var tooLarge *regfile.TooLargeError
	switch {
	case errors.As(err, &notRegular):
		return nil, fmt.Errorf("plan file %s is not a regular file (%s)", path, regfile.Kind(notRegular.Mode))
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("plan file %s is %d bytes, more than the %d MiB a plan file may have", path, tooLarge.Size, MaxSize>>20)
	case err != nil:
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, &os.PathError{Op: pe.Op + " plan file", Path: path, Err: pe.Err}
		}
		return nil, fmt.Errorf("read plan file %s: %w", path, err)
	}
	return Parse(path, b)
}

// Parse parses b, the contents of the plan file name, checking every
// field: kind, format version, absolute directories, the plan and its
// changes, and that the options are the ones roost plan recorded. Its
// errors name the file and the field; it never panics.
func Parse(name string, b []byte) (*File, error) {
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			return nil, fmt.Errorf("%s is neither a directory nor a plan file written by roost plan -out: %w", name, ErrNotPlanFile)
		}
		return nil, fmt.Errorf("plan file %s: %s: %w", name, jsonWhere(b, err), ErrNotPlanFile)
	}
	var head struct {
		Kind          any `json:"kind"`
		FormatVersion any `json:"format_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%s is neither a directory nor a plan file written by roost plan -out (not a JSON object): %w", name, ErrNotPlanFile)
	}
	if head.Kind != Kind {
		return nil, fmt.Errorf("%s is neither a directory nor a plan file written by roost plan -out (its kind is %s, not %q): %w", name, describeValue(head.Kind), Kind, ErrNotPlanFile)
	}
	if head.FormatVersion != planjson.FormatVersion {
		return nil, fmt.Errorf("plan file %s has format version %s; this roost reads %q", name, describeValue(head.FormatVersion), planjson.FormatVersion)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("plan file %s: %s", name, fieldError(err))
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("plan file %s: %w", name, err)
	}
	if f.OptionsDigest != f.Options().Digest() {
		return nil, fmt.Errorf("%w: the options in plan file %s (dir, dbdir, vars, var_files, targets, replace, allow_data_loss, destroy) were changed since roost plan wrote it; run roost plan again", ErrStale, name)
	}
	return &f, nil
}

// check checks the fields a decoded file must have.
func (f *File) check() error {
	if f.Plan == nil {
		return errors.New("field \"plan\" is missing")
	}
	for _, d := range []struct{ field, path string }{{"dir", f.Dir}, {"dbdir", f.DBDir}} {
		switch {
		case d.path == "":
			return fmt.Errorf("field %q is missing or empty", d.field)
		case !filepath.IsAbs(d.path):
			return fmt.Errorf("field %q is %q, not an absolute path", d.field, d.path)
		}
	}
	if _, err := time.Parse(time.RFC3339, f.CreatedAt); err != nil {
		return fmt.Errorf("field \"created_at\" is %q, not an RFC 3339 time", f.CreatedAt)
	}
	lists := []struct {
		field string
		l     []string
	}{{"vars", f.Vars}, {"var_files", f.VarFiles}, {"targets", f.Targets}, {"replace", f.Replace}}
	for _, l := range lists {
		for i, s := range l.l {
			if s == "" {
				return fmt.Errorf("field %q: entry %d is empty", l.field, i)
			}
		}
	}
	for i, v := range f.Vars {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("field \"vars\": entry %d is %q, not name=value", i, v)
		}
	}
	if f.OptionsDigest == "" {
		return errors.New("field \"options_digest\" is missing (a plan file of an older roost?); run roost plan again")
	}
	if f.Plan.FormatVersion != planjson.FormatVersion {
		return fmt.Errorf("field \"plan.format_version\" is %q; this roost reads %q", f.Plan.FormatVersion, planjson.FormatVersion)
	}
	if f.Plan.Changes == nil {
		return errors.New("field \"plan.changes\" is missing")
	}
	if f.Plan.Destroy != f.Destroy {
		return fmt.Errorf("field \"plan.destroy\" is %t but \"destroy\" is %t", f.Plan.Destroy, f.Destroy)
	}
	if len(f.Plan.Problems) > 0 {
		return fmt.Errorf("field \"plan.problems\" lists %d problems; roost plan saves no plan with problems", len(f.Plan.Problems))
	}
	seen := map[string]bool{}
	for i, c := range f.Plan.Changes {
		switch {
		case c.Address == "" || c.Address != c.Kind+"."+c.Name:
			return fmt.Errorf("field \"plan.changes[%d].address\" is %q, not kind.name (%q)", i, c.Address, c.Kind+"."+c.Name)
		case !knownAction[c.Action]:
			return fmt.Errorf("field \"plan.changes[%d].action\" of %s is %q, not one of create, start, update, replace, delete, move", i, c.Address, c.Action)
		case seen[c.Address]:
			return fmt.Errorf("field \"plan.changes[%d]\": %s is changed twice", i, c.Address)
		}
		seen[c.Address] = true
	}
	return nil
}

var knownAction = map[string]bool{"create": true, "start": true, "update": true, "replace": true, "delete": true, "move": true}

// fieldError says which field of a plan file the JSON decoder choked on.
func fieldError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("field %q holds a JSON %s, want %s", field, te.Value, goType(te.Type.String()))
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + msg + "; roost plan writes no such field"
	}
	return err.Error()
}

func goType(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	}
	return "an object"
}

// describeValue says what a JSON value is, for errors: "missing", "\"x\"",
// "a number".
func describeValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "missing"
	case string:
		return fmt.Sprintf("%q", v)
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "not a string"
}

// jsonWhere says where in b the JSON error err is: "invalid JSON at line
// 3, column 7: unexpected end of JSON input".
func jsonWhere(b []byte, err error) string {
	var se *json.SyntaxError
	off := int64(len(b))
	if errors.As(err, &se) {
		off = se.Offset
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	msg := "unexpected end of JSON input"
	if err != nil {
		msg = strings.TrimPrefix(err.Error(), "json: ")
	}
	return fmt.Sprintf("invalid JSON at line %d, column %d: %s", line, col, msg)
}
