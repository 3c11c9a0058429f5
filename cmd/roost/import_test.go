package main

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roostd/roost/config"
	"github.com/roostd/roost/internal/albatross"
	"github.com/roostd/roost/internal/albatross/albatrosstest"
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

// albatrossHost writes an albatross-style data directory: a state dump
// made with albatrosstest, a zlib-compressed image and block files with
// data (one sparse, one not a whole MiB). It returns the dbdir and the
// block contents by albatross file name. behaviour is what the simulated
// tender does with the images.
func albatrossHost(t *testing.T, behaviour string) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "block"), 0o700); err != nil {
		t.Fatal(err)
	}
	img := func(devs ...solo5.Device) []byte {
		b, _ := solo5test.Build(solo5test.Spec{Devices: devs, Behaviour: behaviour})
		return b
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(img(solo5test.Net("service"), solo5test.Block("storage")))
	zw.Close()
	first, sector := 10, 4096
	web, _ := albatross.ParseName("web")
	db, _ := albatross.ParseName("shop:db")
	unis := []albatross.Unikernel{
		{
			Name: web, Typ: "solo5", Image: img(solo5test.Net("service")), AddName: true,
			Fail:   albatross.FailBehaviour{Restart: true},
			CPUIDs: []int{1}, Memory: 64,
			Bridges: []albatross.Bridge{{Name: "service", Bridge: "br0",
				MAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}}},
			Argv: []string{"--ipv4=192.0.2.2/24"},
		},
		{
			Name: db, Typ: "solo5", Compressed: true, Image: z.Bytes(), Startup: &first,
			Fail:   albatross.FailBehaviour{Restart: true, ExitCodes: []int{2, 64}},
			CPUIDs: []int{0}, Memory: 128,
			Blocks:  []albatross.BlockDevice{{Name: "storage", Device: "data", SectorSize: &sector}},
			Bridges: []albatross.Bridge{{Name: "service", Bridge: "br0"}},
		},
	}
	if err := os.WriteFile(filepath.Join(dir, "state"), albatrosstest.Encode(unis), 0o600); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("albatross"), 1000)
	blocks := map[string][]byte{"shop:data": data}
	f, err := os.Create(filepath.Join(dir, "block", "shop:data"))
	if err != nil {
		t.Fatal(err)
	}
	// Data at the start and after a 3 MiB hole: 3 MiB and some bytes.
	f.Write(data)
	f.WriteAt(data, 3<<20)
	f.Close()
	full := make([]byte, 3<<20+len(data))
	copy(full, data)
	copy(full[3<<20:], data)
	blocks["shop:data"] = full
	return dir, blocks
}

func TestImportAlbatross(t *testing.T) {
	for _, mode := range []string{"copy", "move"} {
		t.Run(mode, func(t *testing.T) {
			alb, blocks := albatrossHost(t, "")
			w := t.TempDir()
			out, dbdir := filepath.Join(w, "conf"), filepath.Join(w, "dbdir")
			stdout, _ := roost(t, 0, "import", "albatross", "-from", alb, "-o", out, "-blocks", mode,
				"-dbdir", dbdir, "-albatross-tmpdir", filepath.Join(w, "run"))
			for _, want := range []string{"Imported 2 unikernels", "shop:db", "shop.db", "roost plan " + out, "roost apply " + out} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			roost(t, 0, "validate", out)
			roost(t, 0, "fmt", "-check", out)

			got, err := os.ReadFile(filepath.Join(dbdir, "block", "shop.data"))
			if err != nil {
				t.Fatal(err)
			}
			want := append(blocks["shop:data"], make([]byte, 4<<20-len(blocks["shop:data"]))...)
			if !bytes.Equal(got, want) {
				t.Errorf("roost block shop.data differs from albatross's block (%d bytes, want %d)", len(got), len(want))
			}
			_, err = os.Stat(filepath.Join(alb, "block", "shop:data"))
			if gone := os.IsNotExist(err); gone != (mode == "move") {
				t.Errorf("-blocks %s: albatross's block gone = %v", mode, gone)
			}
			squeeze := regexp.MustCompile(` +`)
			hcl, _ := os.ReadFile(filepath.Join(out, "shop.db.hcl"))
			hcl = squeeze.ReplaceAll(hcl, []byte(" "))
			for _, want := range []string{`size = 4`, `sector_size = 4096`, `device = "shop.data"`, `policy = "on-failure"`, `exit_codes = [2]`, `mac = "00:80:41:`, `bridge = "br0"`} {
				if !strings.Contains(string(hcl), want) {
					t.Errorf("shop.db.hcl lacks %q:\n%s", want, hcl)
				}
			}
			hcl, _ = os.ReadFile(filepath.Join(out, "web.hcl"))
			hcl = squeeze.ReplaceAll(hcl, []byte(" "))
			for _, want := range []string{`depends_on = ["shop.db"]`, `mac = "02:00:00:00:00:01"`, `policy = "always"`, `cpus = [1]`, `memory = 64`} {
				if !strings.Contains(string(hcl), want) {
					t.Errorf("web.hcl lacks %q:\n%s", want, hcl)
				}
			}
			if mode == "copy" {
				// An import interrupted after its copies runs again:
				// the blocks it made are taken as done.
				roost(t, 0, "import", "albatross", "-from", alb, "-o", filepath.Join(w, "again"), "-dbdir", dbdir, "-albatross-tmpdir", filepath.Join(w, "run"))
				// A block of other contents is never replaced.
				os.WriteFile(filepath.Join(dbdir, "block", "shop.data"), []byte("other"), 0o600)
				_, stderr := roost(t, 1, "import", "albatross", "-from", alb, "-o", filepath.Join(w, "third"), "-dbdir", dbdir, "-albatross-tmpdir", filepath.Join(w, "run"))
				if !strings.Contains(stderr, "replaces no block") {
					t.Errorf("import over another block: %s", stderr)
				}
			}
			// Running it again refuses: DIR is not empty.
			_, stderr := roost(t, 1, "import", "albatross", "-from", alb, "-o", out, "-blocks", "none", "-dbdir", dbdir, "-albatross-tmpdir", filepath.Join(w, "run"))
			if !strings.Contains(stderr, "not empty") {
				t.Errorf("second import: %s", stderr)
			}
		})
	}
}

func TestImportAlbatrossRefusesRunningDaemon(t *testing.T) {
	alb, _ := albatrossHost(t, "")
	w := t.TempDir()
	run := filepath.Join(w, "run")
	os.MkdirAll(filepath.Join(run, "util"), 0o755)
	l, err := net.Listen("unix", filepath.Join(run, "util", "vmmd.sock"))
	if err != nil {
		t.Skip(err)
	}
	defer l.Close()
	_, stderr := roost(t, 1, "import", "albatross", "-from", alb, "-o", filepath.Join(w, "conf"), "-dbdir", filepath.Join(w, "db"), "-albatross-tmpdir", run)
	if !strings.Contains(stderr, "albatrossd is running") || !strings.Contains(stderr, "stop it first") {
		t.Errorf("stderr: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(w, "conf")); !os.IsNotExist(err) {
		t.Errorf("the configuration was written while albatrossd runs")
	}
}

func TestImportAlbatrossBadDump(t *testing.T) {
	w := t.TempDir()
	os.WriteFile(filepath.Join(w, "state"), []byte{0xa6, 0x05, 0x30}, 0o600)
	_, stderr := roost(t, 1, "import", "albatross", "-state", filepath.Join(w, "state"), "-o", filepath.Join(w, "conf"), "-albatross-tmpdir", w)
	if !strings.Contains(stderr, "at byte 1") {
		t.Errorf("stderr: %s", stderr)
	}
	_, stderr = roost(t, 1, "import", "albatross", "-state", filepath.Join(w, "state"), "-blocks", "copy", "-o", filepath.Join(w, "conf"), "-albatross-tmpdir", w)
	if !strings.Contains(stderr, "-blocks must be none") {
		t.Errorf("-state with -blocks copy: %s", stderr)
	}
}

// FuzzImportAlbatross converts whatever decodes: no dump panics the
// converter, and what it writes is in canonical layout.
func FuzzImportAlbatross(f *testing.F) {
	data, err := os.ReadFile("../../internal/albatross/testdata/albatross-tests.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if _, b64, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			b, _ := base64.StdEncoding.DecodeString(b64)
			f.Add(b)
		}
	}
	name, _ := albatross.ParseName("a:b")
	prio := -3
	f.Add(albatrosstest.Encode([]albatross.Unikernel{{Name: name, Typ: "solo5", Startup: &prio, CPUIDs: []int{0, 0}, Memory: -1,
		Fail: albatross.FailBehaviour{Restart: true, ExitCodes: []int{0, 1, 300}}, Argv: []string{"${x}", "%{y}"}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := albatross.DecodeState(b)
		if err != nil {
			return
		}
		imp, err := convertAlbatross(st, nil)
		if err != nil {
			return
		}
		for n, src := range imp.Files {
			if strings.HasSuffix(n, ".hcl") {
				if got, diags := config.Format(src, n); diags.HasErrors() || !bytes.Equal(got, src) {
					t.Fatalf("%s is not canonical HCL: %v\n%s", n, diags, src)
				}
			}
		}
	})
}
