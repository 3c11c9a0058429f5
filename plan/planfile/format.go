package planfile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/roostd/roost/plan/planjson"
)

// Kind is the kind field of every plan file; it tells a plan file apart
// from any other JSON document.
const Kind = "roost-plan"

// MaxSize is the largest plan file Read reads. A plan of a thousand
// unikernels is a few MiB; anything larger is not one roost wrote.
const MaxSize = 64 << 20

// File is a saved plan. It records how the plan was made, so that apply
// can make it again and refuse it if the configuration or the host
// changed since. Its format version is planjson.FormatVersion.
//
// Everything that shapes the changes besides the configuration and the
// host is recorded here (Options) and covered by OptionsDigest, so that
// an edited option is refused rather than obeyed: a plan that was shown
// is the plan that runs (issue 8, finding 1).
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
	Vars          []string `json:"vars,omitempty"`
	VarFiles      []string `json:"var_files,omitempty"`
	Targets       []string `json:"targets,omitempty"`
	Replace       []string `json:"replace,omitempty"`
	AllowDataLoss bool     `json:"allow_data_loss,omitempty"`
	// Destroy is true for a plan that removes everything roost runs.
	Destroy bool `json:"destroy,omitempty"`
	// OptionsDigest is Digest of the file's Options, as Write recorded
	// them. Read refuses a file whose options no longer match it.
	OptionsDigest string         `json:"options_digest"`
	Plan          *planjson.Plan `json:"plan"`
}

// Options are what shapes a plan besides the configuration and the host:
// where it was made from and the flags it was made with.
type Options struct {
	Dir           string   `json:"dir"`
	DBDir         string   `json:"dbdir"`
	Vars          []string `json:"vars"`
	VarFiles      []string `json:"var_files"`
	Targets       []string `json:"targets"`
	Replace       []string `json:"replace"`
	AllowDataLoss bool     `json:"allow_data_loss"`
	Destroy       bool     `json:"destroy"`
}

// Options returns the options f records.
func (f *File) Options() Options {
	return Options{
		Dir: f.Dir, DBDir: f.DBDir, Vars: f.Vars, VarFiles: f.VarFiles,
		Targets: f.Targets, Replace: f.Replace, AllowDataLoss: f.AllowDataLoss, Destroy: f.Destroy,
	}
}

// Digest is the SHA-256 of o's canonical JSON, hex. A nil list and an
// empty one digest alike, since the file leaves both out.
func (o Options) Digest() string {
	norm := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	o.Vars, o.VarFiles, o.Targets, o.Replace = norm(o.Vars), norm(o.VarFiles), norm(o.Targets), norm(o.Replace)
	b, err := json.Marshal(o)
	if err != nil {
		panic("BUG: marshal plan options: " + err.Error())
	}
	sum := sha256.Sum256(append([]byte("roost-plan-options\x00"), b...))
	return hex.EncodeToString(sum[:])
}
