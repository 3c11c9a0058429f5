package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roostd/roost/config"
	"github.com/roostd/roost/internal/albatross"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/solo5"
)

// TestImportAlbatrossVectors converts albatross's own test dumps: each
// gives files in roost's canonical layout, and validate names exactly the
// values albatross had that roost cannot take (device names with dashes,
// the 16-byte bridge name) and the test dumps' empty images.
func TestImportAlbatrossVectors(t *testing.T) {
	data, err := os.ReadFile("../../internal/albatross/testdata/albatross-tests.txt")
	if err != nil {
		t.Fatal(err)
	}
	// albatross's test data also gives two unikernels one MAC, and two
	// unikernels of one path one block, which albatross did not check (or
	// only when starting the second) and roost refuses.
	allowed := map[string]bool{"Invalid device name": true, "Invalid bridge name": true, "Duplicate MAC address": true, "Block attached twice": true}
	for _, line := range strings.Split(string(data), "\n") {
		name, b64, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dump, _ := base64.StdEncoding.DecodeString(b64)
			st, err := albatross.DecodeState(dump)
			if err != nil {
				t.Fatal(err)
			}
			imp, err := convertAlbatross(st, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(imp.Files) != 2*len(st.Unikernels) {
				t.Errorf("%d files for %d unikernels", len(imp.Files), len(st.Unikernels))
			}
			dir := t.TempDir()
			for n, b := range imp.Files {
				if strings.HasSuffix(n, ".hcl") {
					if f, _ := config.Format(b, n); !bytes.Equal(f, b) {
						t.Errorf("%s is not in canonical layout:\n%s", n, b)
					}
				}
			}
			if err := writeImport(dir, imp.Files); err != nil {
				t.Fatal(err)
			}
			// Replace the empty images by ones with the devices named,
			// so that validate speaks of the values alone.
			for _, u := range st.Unikernels {
				var devs []solo5.Device
				for _, b := range u.Bridges {
					devs = append(devs, solo5test.Net(b.Name))
				}
				for _, b := range u.Blocks {
					devs = append(devs, solo5test.Block(b.Name))
				}
				img := filepath.Join(dir, "images", imp.names[u.Name.String()]+".hvt")
				if err := solo5test.Write(img, solo5test.Spec{Devices: devs}); err != nil {
					t.Fatal(err)
				}
			}
			_, stderr := roost(t, 1, "-no-color", "validate", dir)
			for _, l := range strings.Split(stderr, "\n") {
				if s, ok := strings.CutPrefix(l, "Error: "); ok && !allowed[s] {
					t.Errorf("validate: %s", l)
				}
			}
			if !strings.Contains(stderr, "Invalid device name") && !strings.Contains(stderr, "Invalid bridge name") {
				t.Errorf("validate named none of albatross's values:\n%s", stderr)
			}
			if t.Failed() {
				t.Log(stderr)
				t.Logf("%s", imp.Files["foo.hello.hcl"])
			}
		})
	}
}
