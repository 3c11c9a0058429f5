package views

// Validate is the -json output of roost validate. Valid is true when there
// are no errors (warnings may remain); the counts are of Diagnostics by
// severity.
type Validate struct {
	FormatVersion string       `json:"format_version"`
	Valid         bool         `json:"valid"`
	ErrorCount    int          `json:"error_count"`
	WarningCount  int          `json:"warning_count"`
	Diagnostics   []Diagnostic `json:"diagnostics"`
}
