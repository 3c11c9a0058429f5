package planfile

import "github.com/roostd/roost/plan/planjson"

// Kind is the kind field of every plan file; it tells a plan file apart
// from any other JSON document.
const Kind = "roost-plan"

// File is a saved plan. It records how the plan was made, so that apply
// can make it again and refuse it if the configuration or the host
// changed since. Its format version is planjson.FormatVersion.
type File struct {
	FormatVersion string `json:"format_version"`
	Kind          string `json:"kind"` // Kind
	RoostVersion  string `json:"roost_version"`
	// CreatedAt is when the plan was made, RFC 3339 in UTC.
	CreatedAt string `json:"created_at"`
	// Dir and DBDir are the configuration directory and the data
	// directory, absolute.
	Dir   string `json:"dir"`
	DBDir string `json:"dbdir"`
	// Vars are the -var flags (name=value), VarFiles the -var-file flags
	// made absolute.
	Vars          []string       `json:"vars,omitempty"`
	VarFiles      []string       `json:"var_files,omitempty"`
	Targets       []string       `json:"targets,omitempty"`
	Replace       []string       `json:"replace,omitempty"`
	AllowDataLoss bool           `json:"allow_data_loss,omitempty"`
	Plan          *planjson.Plan `json:"plan"`
}
