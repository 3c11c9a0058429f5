package main

import (
	"testing"

	"github.com/roostd/roost/config"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
)

// TestPrefetchUse checks when the observation made while the
// configuration loaded stands for the session's: only for the same data
// directory and the default tender uids, which are what it was made with.
func TestPrefetchUse(t *testing.T) {
	done := make(chan struct{})
	close(done)
	o := &plan.Observed{BootID: "b"}
	p := &prefetch{dbdir: "/var/lib/roost", done: done, o: o}
	uids := &config.Config{}
	uids.Settings.UIDs = [2]int{5000, 5999}
	tests := []struct {
		name  string
		p     *prefetch
		dbdir string
		cfg   *config.Config
		want  bool
	}{
		{"same directory, no configuration", p, "/var/lib/roost", nil, true},
		{"same directory, default uids", p, "/var/lib/roost", &config.Config{}, true},
		{"another directory", p, "/srv/roost", &config.Config{}, false},
		{"configured uids", p, "/var/lib/roost", uids, false},
		{"no prefetch", nil, "/var/lib/roost", nil, false},
	}
	for _, tt := range tests {
		got, err, ok := tt.p.use(datadir.Dir(tt.dbdir), tt.cfg)
		if ok != tt.want || ok && (got != o || err != nil) {
			t.Errorf("%s: use = %p, %v, %v; want ok %v", tt.name, got, err, ok, tt.want)
		}
	}
}
