package datadir

import "time"

// Applied is applied.json: which configuration the host was last brought
// to, when and by what, for roost status. Commit is the git commit of the
// directory's work tree; Generation counts watch's reloads (0 for roost
// apply).
type Applied struct {
	Dir        string    `json:"dir"`
	Commit     string    `json:"commit,omitempty"`
	Generation int       `json:"generation,omitempty"`
	AppliedAt  time.Time `json:"applied_at"`
	By         string    `json:"by"`
	Result     string    `json:"result"`
}
