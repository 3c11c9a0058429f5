package plan

import (
	"reflect"
	"testing"
	"time"
)

// TestSameMeansSameText holds each spec field's same to its contract:
// whenever same says two specs agree, their texts agree. The pool holds a
// spec and one variant for each field of Spec and of the types in it
// (nets, blocks, restart), each field changed alone, and the pairs of
// them; a field that a text reads and same does not compare shows as a
// pair that same calls equal and the texts tell apart.
func TestSameMeansSameText(t *testing.T) {
	base := Spec{
		Name: "web", Image: "images/web.hvt", ImageSHA256: "ab12", Target: "hvt", ABIVersion: 2,
		Tender: "/usr/lib/solo5/solo5-hvt", TenderVersion: "v0.12.1", MemoryMiB: 32, CPUs: []int{0},
		Argv:        []string{"--ipv4=192.0.2.2/24"},
		Nets:        []SpecNet{{Device: "service", Bridge: "br0", MAC: "02:00:00:00:00:01", Tap: "rt0123456789"}},
		Blocks:      []SpecBlock{{Device: "storage", Block: "data", SectorSize: 512, SizeMiB: 8}},
		Restart:     Restart{Policy: "on-failure", ExitCodes: []int{3}, Backoff: Duration(time.Second), MaxBackoff: Duration(time.Minute)},
		StopTimeout: Duration(10 * time.Second), DependsOn: []string{"db"}, Source: "main.hcl:1", UID: 2000,
	}
	clone := func(s Spec) Spec {
		s.CPUs = append([]int(nil), s.CPUs...)
		s.Argv = append([]string(nil), s.Argv...)
		s.Nets = append([]SpecNet(nil), s.Nets...)
		s.Blocks = append([]SpecBlock(nil), s.Blocks...)
		s.Restart.ExitCodes = append([]int(nil), s.Restart.ExitCodes...)
		s.DependsOn = append([]string(nil), s.DependsOn...)
		return s
	}
	// One change per field, by the field's name; the test fails when a
	// type gains a field this list does not change.
	changes := map[string]func(*Spec){
		"Name": func(s *Spec) { s.Name = "db" }, "Image": func(s *Spec) { s.Image = "other.hvt" },
		"ImageSHA256": func(s *Spec) { s.ImageSHA256 = "cd34" }, "Target": func(s *Spec) { s.Target = "spt" },
		"ABIVersion": func(s *Spec) { s.ABIVersion = 3 }, "Tender": func(s *Spec) { s.Tender = "/opt/solo5-hvt" },
		"TenderVersion": func(s *Spec) { s.TenderVersion = "" }, "MemoryMiB": func(s *Spec) { s.MemoryMiB = 64 },
		"CPUs": func(s *Spec) { s.CPUs = []int{0, 1} }, "Argv": func(s *Spec) { s.Argv = nil },
		"Nets": func(s *Spec) { s.Nets = nil }, "Blocks": func(s *Spec) { s.Blocks = append(s.Blocks, s.Blocks[0]) },
		"Restart": func(s *Spec) { s.Restart = Restart{} }, "StopTimeout": func(s *Spec) { s.StopTimeout = 0 },
		"DependsOn": func(s *Spec) { s.DependsOn = []string{"db", "cache"} }, "Source": func(s *Spec) { s.Source = "b.hcl:9" },
		"RunAsRoot": func(s *Spec) { s.RunAsRoot = true }, "UID": func(s *Spec) { s.UID = 0 },
		"Nets.Device": func(s *Spec) { s.Nets[0].Device = "admin" }, "Nets.Bridge": func(s *Spec) { s.Nets[0].Bridge = "br1" },
		"Nets.MAC": func(s *Spec) { s.Nets[0].MAC = "02:00:00:00:00:02" }, "Nets.Tap": func(s *Spec) { s.Nets[0].Tap = "rt9876543210" },
		"Blocks.Device": func(s *Spec) { s.Blocks[0].Device = "logs" }, "Blocks.Block": func(s *Spec) { s.Blocks[0].Block = "other" },
		"Blocks.SectorSize": func(s *Spec) { s.Blocks[0].SectorSize = 4096 }, "Blocks.SizeMiB": func(s *Spec) { s.Blocks[0].SizeMiB = 16 },
		"Restart.Policy": func(s *Spec) { s.Restart.Policy = "always" }, "Restart.ExitCodes": func(s *Spec) { s.Restart.ExitCodes = nil },
		"Restart.Backoff": func(s *Spec) { s.Restart.Backoff = 0 }, "Restart.MaxBackoff": func(s *Spec) { s.Restart.MaxBackoff = 0 },
	}
	for _, typ := range []struct {
		prefix string
		t      reflect.Type
	}{{"", reflect.TypeFor[Spec]()}, {"Nets.", reflect.TypeFor[SpecNet]()}, {"Blocks.", reflect.TypeFor[SpecBlock]()}, {"Restart.", reflect.TypeFor[Restart]()}} {
		for i := range typ.t.NumField() {
			if _, ok := changes[typ.prefix+typ.t.Field(i).Name]; !ok {
				t.Errorf("no change of %s%s in the pool: add one", typ.prefix, typ.t.Field(i).Name)
			}
		}
	}
	// And it is a shortcut: equal values are seen as equal.
	same := clone(base)
	for _, f := range specFieldList {
		if !f.same(&base, &same) {
			t.Errorf("field %s: same is false for a copy of a spec", f.name)
		}
	}
	pool := []Spec{base}
	for _, c := range changes {
		s := clone(base)
		c(&s)
		pool = append(pool, s)
	}
	for i := range pool {
		for j := range pool {
			a, b := &pool[i], &pool[j]
			for _, f := range specFieldList {
				if f.same(a, b) && f.text(a) != f.text(b) {
					t.Errorf("field %s: same holds, texts differ: %q and %q", f.name, f.text(a), f.text(b))
				}
			}
		}
	}
}
