package config_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/roostd/roost/config"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/solo5"
)

func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, dir string, opts config.Options) *config.Config {
	t.Helper()
	cfg, diags := config.Load(dir, opts)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", diags.Error())
	}
	return cfg
}

func TestLoadFull(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
roost {
  dbdir   = "state"
  tenders = ["/opt/solo5/bin", "tenders"]
}

variable "mem" {
  type    = number
  default = 64
}

locals {
  prefix = "192.0.2.0/24"
  gw     = cidrhost(local.prefix, 1)
}

bridge "service" {
  addresses = ["${local.gw}/24", "2001:db8::1/64"]
  mtu       = 9000
}

block "data" {
  size   = 128
  source = "seed/data.img"
}

unikernel "web" {
  image  = "images/web.hvt"
  memory = var.mem
  cpus   = [1, 0]
  argv   = ["--ipv4=${cidrhost(local.prefix, 2)}/24", "--ipv4-gateway=${local.gw}"]
  net "service" {
    mac = "02:00:00:00:00:01"
  }
  block "storage" {
    device      = "data"
    sector_size = 4096
  }
  restart {
    policy      = "on-failure"
    exit_codes  = [2, 3]
    backoff     = "2s"
    max_backoff = "1m"
  }
  stop_timeout = "3s"
  depends_on   = ["db"]
}

unikernel "db" {
  image = "images/db.spt"
}
`,
		"seed/data.img": "seed",
	})
	if err := solo5test.Write(filepath.Join(dir, "images/web.hvt"), solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service"), solo5test.Block("storage")}}); err != nil {
		t.Fatal(err)
	}
	if err := solo5test.Write(filepath.Join(dir, "images/db.spt"), solo5test.Spec{Target: solo5.SPT}); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, dir, config.Options{Environ: []string{}})
	web, db := cfg.Images[filepath.Join(dir, "images/web.hvt")], cfg.Images[filepath.Join(dir, "images/db.spt")]
	if web == nil || db == nil {
		t.Fatalf("Images = %v, want both images", cfg.Images)
	}
	want := plan.Desired{
		Bridges: []plan.Bridge{{
			Name:      "service",
			Addresses: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("2001:db8::1/64")},
			MTU:       9000,
		}},
		Blocks: []plan.Block{{Name: "data", SizeMiB: 128, Source: filepath.Join(dir, "seed/data.img")}},
		Unikernels: []plan.Unikernel{
			{
				Name:        "db",
				Image:       plan.Image{Path: filepath.Join(dir, "images/db.spt"), SHA256: db.SHA256, Target: "spt", ABIVersion: 2},
				MemoryMiB:   32,
				Restart:     plan.Restart{Policy: "on-failure", Backoff: plan.Duration(time.Second), MaxBackoff: plan.Duration(5 * time.Minute)},
				StopTimeout: plan.Duration(10 * time.Second),
			},
			{
				Name: "web",
				Image: plan.Image{Path: filepath.Join(dir, "images/web.hvt"), SHA256: web.SHA256, Target: "hvt", ABIVersion: 2,
					Nets: []string{"service"}, Blocks: []string{"storage"}},
				MemoryMiB:   64,
				CPUs:        []int{1, 0},
				Argv:        []string{"--ipv4=192.0.2.2/24", "--ipv4-gateway=192.0.2.1"},
				Nets:        []plan.Net{{Device: "service", Bridge: "service", MAC: "02:00:00:00:00:01"}},
				Blocks:      []plan.BlockAttachment{{Device: "storage", Block: "data", SectorSize: 4096, SizeMiB: 128}},
				Restart:     plan.Restart{Policy: "on-failure", ExitCodes: []int{2, 3}, Backoff: plan.Duration(2 * time.Second), MaxBackoff: plan.Duration(time.Minute)},
				StopTimeout: plan.Duration(3 * time.Second),
				DependsOn:   []string{"db"},
			},
		},
	}
	ignorePos := cmpopts.IgnoreFields(plan.Unikernel{}, "Pos")
	if diff := cmp.Diff(want, cfg.Desired, ignorePos, cmpopts.IgnoreFields(plan.Bridge{}, "Pos"), cmpopts.IgnoreFields(plan.Block{}, "Pos"), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("Desired mismatch (-want +got):\n%s", diff)
	}
	wantSettings := config.Settings{DBDir: filepath.Join(dir, "state"), Tenders: []string{"/opt/solo5/bin", filepath.Join(dir, "tenders")}}
	if diff := cmp.Diff(wantSettings, cfg.Settings, cmpopts.IgnoreFields(config.Settings{}, "Pos")); diff != "" {
		t.Errorf("Settings mismatch (-want +got):\n%s", diff)
	}
	if got := cfg.Desired.Unikernels[1].Pos; got.Line != 27 || filepath.Base(got.File) != "main.hcl" {
		t.Errorf("web declared at %v, want main.hcl:27", got)
	}
}

func TestLoadExpansion(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
variable "n" { default = 2 }

block "disk" {
  for_each = toset(["a", "b"])
  size     = 4
}

unikernel "web" {
  count = var.n
  image = "images/net.hvt"
  argv  = ["--index=${count.index}"]
  net "service" {}
}

unikernel "db" {
  for_each = { a = 10, b = 11 }
  image    = "images/netblk.hvt"
  argv     = ["--ip=${cidrhost("192.0.2.0/24", each.value)}", "--key=${each.key}"]
  net "service" {}
  block "storage" { device = "disk-${each.key}" }
  depends_on = ["web"]
}

unikernel "none" {
  count = 0
  image = "images/net.hvt"
  net "service" {}
}

unikernel "after" {
  image      = "images/plain.hvt"
  depends_on = ["none", "db-a"]
}
`,
	})
	for name, spec := range map[string]solo5test.Spec{
		"net.hvt":    {Devices: []solo5.Device{solo5test.Net("service")}},
		"netblk.hvt": {Devices: []solo5.Device{solo5test.Net("service"), solo5test.Block("storage")}},
		"plain.hvt":  {},
	} {
		if err := solo5test.Write(filepath.Join(dir, "images", name), spec); err != nil {
			t.Fatal(err)
		}
	}
	cfg := mustLoad(t, dir, config.Options{Environ: []string{"ROOST_VAR_n=3"}})
	type row struct {
		Name, Argv, MAC, Blocks, Deps string
	}
	var got []row
	for _, u := range cfg.Desired.Unikernels {
		r := row{Name: u.Name, Argv: strings.Join(u.Argv, " "), Deps: strings.Join(u.DependsOn, ",")}
		for _, n := range u.Nets {
			r.MAC = n.MAC
		}
		for _, b := range u.Blocks {
			r.Blocks = b.Block
		}
		got = append(got, r)
	}
	want := []row{
		{"after", "", "", "", "db-a"},
		{"db-a", "--ip=192.0.2.10 --key=a", config.DefaultMAC("service", "db-a"), "disk-a", "web-0,web-1,web-2"},
		{"db-b", "--ip=192.0.2.11 --key=b", config.DefaultMAC("service", "db-b"), "disk-b", "web-0,web-1,web-2"},
		{"web-0", "--index=0", config.DefaultMAC("service", "web-0"), "", ""},
		{"web-1", "--index=1", config.DefaultMAC("service", "web-1"), "", ""},
		{"web-2", "--index=2", config.DefaultMAC("service", "web-2"), "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instances mismatch (-want +got):\n%s", diff)
	}
	var blocks []string
	for _, b := range cfg.Desired.Blocks {
		blocks = append(blocks, b.Name)
	}
	if diff := cmp.Diff([]string{"disk-a", "disk-b"}, blocks); diff != "" {
		t.Errorf("blocks mismatch (-want +got):\n%s", diff)
	}
}

func TestVariablePrecedence(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "cpus" {
  type    = list(number)
  default = []
}
unikernel "u" {
  image = "u.hvt"
  argv  = [var.a, var.b, var.c, var.d]
  cpus  = var.cpus
}
`,
		"one.vars": "b = \"file1\"\nc = \"file1\"\n",
		"two.vars": "c = \"file2\"\n",
	})
	if err := solo5test.Write(filepath.Join(dir, "u.hvt"), solo5test.Spec{}); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, dir, config.Options{
		Environ:  []string{"ROOST_VAR_a=env", "ROOST_VAR_b=env", "ROOST_VAR_d=env", "OTHER=x"},
		VarFiles: []string{filepath.Join(dir, "one.vars"), filepath.Join(dir, "two.vars")},
		Vars:     []string{"d=flag", "cpus=[2, 3]"},
	})
	u := cfg.Desired.Unikernels[0]
	if diff := cmp.Diff([]string{"env", "file1", "file2", "flag"}, u.Argv); diff != "" {
		t.Errorf("argv mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 3}, u.CPUs); diff != "" {
		t.Errorf("cpus mismatch (-want +got):\n%s", diff)
	}
}

func TestDefaultMAC(t *testing.T) {
	// MD5("service:hello") = cd 8a eb ...: the DESIGN.md example, computed
	// independently with `printf service:hello | md5sum`.
	if got, want := config.DefaultMAC("service", "hello"), "00:80:41:cd:8a:eb"; got != want {
		t.Errorf("DefaultMAC(service, hello) = %s, want %s", got, want)
	}
}

func TestFunctions(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
unikernel "u" {
  image = "u.hvt"
  argv = [
    cidrhost("10.0.0.0/8", 258),
    cidrhost("192.0.2.0/24", -2),
    cidrsubnet("10.0.0.0/8", 8, 2),
    cidrsubnet("2001:db8::/32", 16, 1),
    trimspace(file("motd.txt")),
    format("%s-%03d", upper("x"), max(1, 7)),
    join(",", concat(["a"], tolist(toset(["b"])))),
    lookup({ k = "v" }, "k", "none"),
  ]
}
`,
		"motd.txt": "  hello\n",
	})
	if err := solo5test.Write(filepath.Join(dir, "u.hvt"), solo5test.Spec{}); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, dir, config.Options{Environ: []string{}})
	want := []string{"10.0.1.2", "192.0.2.254", "10.2.0.0/16", "2001:db8:1::/48", "hello", "X-007", "a,b", "v"}
	if diff := cmp.Diff(want, cfg.Desired.Unikernels[0].Argv); diff != "" {
		t.Errorf("argv mismatch (-want +got):\n%s", diff)
	}
}

func TestIgnoredName(t *testing.T) {
	for name, want := range map[string]bool{
		"web.hcl": false, "web.hcl~": true, ".#web.hcl": true, "#web.hcl#": true,
		".web.hcl.swp": true, "web.swp": true, "4913": true, "49130": false, ".hidden.hcl": true,
	} {
		if got := config.IgnoredName(name); got != want {
			t.Errorf("IgnoredName(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzLoad feeds arbitrary file contents to the loader: it must return
// diagnostics, never panic.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/*/*.hcl")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(string(b))
		}
	}
	f.Add("unikernel \"a\" { count = 3\n image = \"x\" }\n")
	f.Add("locals { a = local.b\n b = local.a }\n")
	f.Add("unikernel \"a\" { for_each = { x = 1 }\n image = \"x\"\n depends_on = [\"a-x\"] }\n")
	// Nesting past the limit in each construct that recurses (issue 8,
	// finding 10); 1000 levels keep the fuzzer fast, and deeper input
	// meets the same check.
	deep := func(open, inner, close string) string {
		return "locals {\n  x = " + strings.Repeat(open, 1000) + inner + strings.Repeat(close, 1000) + "\n}\n"
	}
	f.Add(deep("(", "1", ")"))
	f.Add(deep("[", "1", "]"))
	f.Add(deep("{a = ", "1", "}"))
	f.Add(deep(`"${`, "1", `}"`))
	f.Add(deep(`"%{ if true }`, "x", `%{ endif }"`))
	f.Add(deep("-", "1", ""))
	f.Add(deep("true ? 1 : ", "1", ""))
	f.Add(deep("", `jsondecode("`+strings.Repeat("[", 1000)+`")`, ""))
	f.Add(strings.Repeat("roost {\n", 1000))
	f.Add("locals {\n  x = file(\"/dev/zero\")\n  y = file(\"images\")\n}\n")
	f.Add("unikernel \"a\" {\n  image = \"/dev/zero\"\n}\nblock \"b\" {\n  size = 1\n  source = \"/dev/null\"\n}\n")
	f.Add("bridge \"br0\" {\x00}\r\n\ufeff\xff")
	dir := f.TempDir()
	if err := solo5test.Write(filepath.Join(dir, "images", "web.hvt"), solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}}); err != nil {
		f.Fatal(err)
	}
	cache := config.NewImageCache()
	f.Fuzz(func(t *testing.T, src string) {
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := config.Load(dir, config.Options{Environ: []string{}, Images: cache})
		if cfg == nil {
			t.Fatal("Load returned no configuration")
		}
		for _, d := range diags {
			if d.Summary == "" {
				t.Fatalf("diagnostic without summary: %#v", d)
			}
		}
		if !diags.HasErrors() {
			for _, u := range cfg.Desired.Unikernels {
				if !config.ValidName(u.Name) {
					t.Fatalf("invalid name %q accepted", u.Name)
				}
			}
		}
	})
}

// BenchmarkLoad loads a generated directory of n unikernels, in files of 10,
// sharing 10 images.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("unikernels=%d", n), func(b *testing.B) {
			files := map[string]string{"bridge.hcl": "bridge \"service\" {}\n"}
			for f := 0; f < n/10; f++ {
				var sb strings.Builder
				for i := 0; i < 10; i++ {
					k := f*10 + i
					fmt.Fprintf(&sb, "unikernel \"u%d\" {\n  image = \"images/img%d.hvt\"\n  memory = %d\n  argv = [\"--ipv4=${cidrhost(\"10.0.0.0/16\", %d)}/16\"]\n  net \"service\" {}\n  restart { policy = \"always\" }\n}\n", k, k%10, 32+k%3, k+2)
				}
				files[fmt.Sprintf("f%03d.hcl", f)] = sb.String()
			}
			dir := writeDir(b, files)
			for i := 0; i < 10; i++ {
				spec := solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: fmt.Sprint("image ", i)}
				if err := solo5test.Write(filepath.Join(dir, "images", fmt.Sprintf("img%d.hvt", i)), spec); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				// A fresh cache each time: image facts are read once per
				// file per load, not once per unikernel.
				cfg, diags := config.Load(dir, config.Options{Environ: []string{}})
				if diags.HasErrors() || len(cfg.Desired.Unikernels) != n {
					b.Fatalf("Load: %d unikernels, %s", len(cfg.Desired.Unikernels), diags.Error())
				}
			}
		})
	}
}
