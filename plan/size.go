package plan

import "fmt"

// MiBText is how plans show a size in bytes: "16 MiB" when it is a whole
// number of MiB, else with decimals digits after the point ("8.50 MiB").
// The field diffs of a plan use 2 digits and the list of retained blocks
// uses 1, as they always have.
func MiBText(bytes int64, decimals int) string {
	if bytes%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", bytes>>20)
	}
	return fmt.Sprintf("%.*f MiB", decimals, float64(bytes)/(1<<20))
}
