package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/solo5"
)

// wantDiag is the part of a diagnostic a bad-input case pins down.
type wantDiag struct {
	Summary string
	File    string // base name; "" for diagnostics without a place
	Line    int
}

// writeImages writes the synthetic images every bad-configuration case may
// name into dir/images.
func writeImages(t *testing.T, dir string) {
	t.Helper()
	imgs := map[string]solo5test.Spec{
		"plain.hvt":   {},
		"net.hvt":     {Devices: []solo5.Device{solo5test.Net("service")}},
		"block.hvt":   {Devices: []solo5.Device{solo5test.Block("storage")}},
		"netblk.hvt":  {Devices: []solo5.Device{solo5test.Net("service"), solo5test.Block("storage")}},
		"two.hvt":     {Devices: []solo5.Device{solo5test.Net("a"), solo5test.Net("b")}},
		"virtio.img":  {Target: solo5.Virtio},
		"arm64.hvt":   {Machine: solo5.AArch64},
		"plain.spt":   {Target: solo5.SPT},
		"storage.hvt": {Devices: []solo5.Device{solo5test.Block("a")}},
	}
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, spec := range imgs {
		if err := solo5test.Write(filepath.Join(dir, "images", name), spec); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "images", "text.hvt"), []byte("not an image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seed.img"), bytes.Repeat([]byte{1}, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidateBad(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  []wantDiag
	}{
		{"syntax-error", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \n}\n"},
			nil, []wantDiag{{"Invalid expression", "a.hcl", 2}}},
		{"unknown-block-type", map[string]string{"a.hcl": "service \"x\" {}\n"},
			nil, []wantDiag{{"Unsupported block type", "a.hcl", 1}}},
		{"unknown-attribute", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  memroy = 3\n}\n"},
			nil, []wantDiag{{"Unsupported argument", "a.hcl", 3}}},
		{"missing-image", map[string]string{"a.hcl": "unikernel \"a\" {\n  memory = 3\n}\n"},
			nil, []wantDiag{{"Missing required argument", "a.hcl", 1}}},
		{"memory-wrong-type", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  memory = \"lots\"\n}\n"},
			nil, []wantDiag{{"Incorrect attribute value type", "a.hcl", 3}}},
		{"memory-zero", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  memory = 0\n}\n"},
			nil, []wantDiag{{"Value out of range", "a.hcl", 3}}},
		{"memory-absurd", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  memory = 4000000\n}\n"},
			nil, []wantDiag{{"Value out of range", "a.hcl", 3}}},
		{"memory-fraction", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  memory = 1.5\n}\n"},
			nil, []wantDiag{{"Invalid value", "a.hcl", 3}}},
		{"unikernel-name", map[string]string{"a.hcl": "unikernel \"Web_1\" {\n  image = \"images/plain.hvt\"\n}\n"},
			nil, []wantDiag{{"Invalid unikernel name", "a.hcl", 1}}},
		{"block-name-path", map[string]string{"a.hcl": "block \"../etc\" {\n  size = 1\n}\n"},
			nil, []wantDiag{{"Invalid block name", "a.hcl", 1}}},
		{"duplicate-unikernel", map[string]string{
			"a.hcl": "unikernel \"web\" {\n  image = \"images/plain.hvt\"\n}\n",
			"b.hcl": "\nunikernel \"web\" {\n  image = \"images/plain.hvt\"\n}\n"},
			nil, []wantDiag{{"Duplicate unikernel definition", "b.hcl", 2}}},
		{"duplicate-bridge", map[string]string{"a.hcl": "bridge \"br0\" {}\nbridge \"br0\" {}\n"},
			nil, []wantDiag{{"Duplicate bridge definition", "a.hcl", 2}}},
		{"bridge-name-too-long", map[string]string{"a.hcl": "bridge \"abcdefghijklmnop\" {}\n"},
			nil, []wantDiag{{"Invalid bridge name", "a.hcl", 1}}},
		{"net-bridge-too-long", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/net.hvt\"\n  net \"service\" {\n    bridge = \"averyveryverylongname\"\n  }\n}\n"},
			nil, []wantDiag{{"Invalid bridge name", "a.hcl", 4}}},
		{"bridge-address", map[string]string{"a.hcl": "bridge \"br0\" {\n  addresses = [\"192.0.2.1\"]\n}\n"},
			nil, []wantDiag{{"Invalid bridge address", "a.hcl", 2}}},
		{"bridge-mtu", map[string]string{"a.hcl": "bridge \"br0\" {\n  mtu = 70000\n}\n"},
			nil, []wantDiag{{"Value out of range", "a.hcl", 2}}},
		{"undeclared-block", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/block.hvt\"\n  block \"storage\" {\n    device = \"data\"\n  }\n}\n"},
			nil, []wantDiag{{"Reference to undeclared block", "a.hcl", 4}}},
		{"block-attached-twice", map[string]string{"a.hcl": "block \"data\" {\n  size = 1\n}\n" +
			"unikernel \"a\" {\n  image = \"images/block.hvt\"\n  block \"storage\" { device = \"data\" }\n}\n" +
			"unikernel \"b\" {\n  image = \"images/block.hvt\"\n  block \"storage\" { device = \"data\" }\n}\n"},
			nil, []wantDiag{{"Block attached twice", "a.hcl", 10}}},
		{"duplicate-mac", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/net.hvt\"\n  net \"service\" { mac = \"02:00:00:00:00:01\" }\n}\n" +
			"unikernel \"b\" {\n  image = \"images/net.hvt\"\n  net \"service\" { mac = \"02:00:00:00:00:01\" }\n}\n"},
			nil, []wantDiag{{"Duplicate MAC address", "a.hcl", 7}}},
		{"malformed-mac", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/net.hvt\"\n  net \"service\" { mac = \"02:00:00:00:01\" }\n}\n"},
			nil, []wantDiag{{"Invalid MAC address", "a.hcl", 3}}},
		{"multicast-mac", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/net.hvt\"\n  net \"service\" { mac = \"01:00:5e:00:00:01\" }\n}\n"},
			nil, []wantDiag{{"Invalid MAC address", "a.hcl", 3}}},
		{"sector-size-not-power", map[string]string{"a.hcl": "block \"storage\" { size = 1 }\nunikernel \"a\" {\n  image = \"images/block.hvt\"\n  block \"storage\" {\n    sector_size = 1000\n  }\n}\n"},
			nil, []wantDiag{{"Invalid sector size", "a.hcl", 5}}},
		{"sector-size-small", map[string]string{"a.hcl": "block \"storage\" { size = 1 }\nunikernel \"a\" {\n  image = \"images/block.hvt\"\n  block \"storage\" {\n    sector_size = 256\n  }\n}\n"},
			nil, []wantDiag{{"Value out of range", "a.hcl", 5}}},
		{"duration-no-unit", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  stop_timeout = \"10\"\n}\n"},
			nil, []wantDiag{{"Invalid duration", "a.hcl", 3}}},
		{"duration-negative", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  restart {\n    backoff = \"-1s\"\n  }\n}\n"},
			nil, []wantDiag{{"Invalid duration", "a.hcl", 4}}},
		{"max-backoff-short", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  restart {\n    backoff = \"10s\"\n    max_backoff = \"1s\"\n  }\n}\n"},
			nil, []wantDiag{{"Invalid max_backoff", "a.hcl", 5}}},
		{"restart-policy", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  restart {\n    policy = \"sometimes\"\n  }\n}\n"},
			nil, []wantDiag{{"Invalid restart policy", "a.hcl", 4}}},
		{"exit-codes-with-always", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  restart {\n    policy = \"always\"\n    exit_codes = [2]\n  }\n}\n"},
			nil, []wantDiag{{"Exit codes without on-failure", "a.hcl", 5}}},
		{"exit-code-range", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  restart {\n    exit_codes = [256]\n  }\n}\n"},
			nil, []wantDiag{{"Invalid value", "a.hcl", 4}}},
		{"duplicate-restart", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  restart {}\n  restart {}\n}\n"},
			nil, []wantDiag{{"Duplicate restart block", "a.hcl", 4}}},
		{"depends-unknown", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  depends_on = [\"db\"]\n}\n"},
			nil, []wantDiag{{"Reference to undeclared unikernel", "a.hcl", 3}}},
		{"depends-self", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  depends_on = [\"a\"]\n}\n"},
			nil, []wantDiag{{"Unikernel depends on itself", "a.hcl", 3}}},
		{"depends-cycle", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  depends_on = [\"b\"]\n}\n" +
			"unikernel \"b\" {\n  image = \"images/plain.hvt\"\n  depends_on = [\"c\"]\n}\n" +
			"unikernel \"c\" {\n  image = \"images/plain.hvt\"\n  depends_on = [\"a\"]\n}\n"},
			nil, []wantDiag{{"Cycle in depends_on", "a.hcl", 3}}},
		{"count-and-for-each", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  count = 2\n  for_each = toset([\"x\"])\n}\n"},
			nil, []wantDiag{{`Invalid combination of "count" and "for_each"`, "a.hcl", 4}}},
		{"count-negative", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  count = -1\n}\n"},
			nil, []wantDiag{{"Value out of range", "a.hcl", 3}}},
		{"for-each-list", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  for_each = [\"x\", \"y\"]\n}\n"},
			nil, []wantDiag{{"Invalid for_each argument", "a.hcl", 3}}},
		{"for-each-key", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  for_each = toset([\"X\"])\n}\n"},
			nil, []wantDiag{{"Invalid for_each key", "a.hcl", 3}}},
		{"count-index-without-count", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  argv = [\"${count.index}\"]\n}\n"},
			nil, []wantDiag{{"Unknown variable", "a.hcl", 3}}},
		{"instance-collision", map[string]string{"a.hcl": "unikernel \"web\" {\n  image = \"images/plain.hvt\"\n  count = 2\n}\nunikernel \"web-1\" {\n  image = \"images/plain.hvt\"\n}\n"},
			nil, []wantDiag{{"Duplicate unikernel instance", "a.hcl", 5}}},
		{"device-name", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/net.hvt\"\n  net \"svc-1\" {}\n}\n"},
			nil, []wantDiag{{"Invalid device name", "a.hcl", 3}}},
		{"duplicate-device", map[string]string{"a.hcl": "block \"a\" { size = 1 }\nunikernel \"u\" {\n  image = \"images/storage.hvt\"\n  block \"a\" {}\n  net \"a\" {}\n}\n"},
			nil, []wantDiag{{"Duplicate device", "a.hcl", 5}}},
		{"manifest-mismatch", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/two.hvt\"\n  net \"a\" {}\n  net \"c\" {}\n}\n"},
			nil, []wantDiag{{"Devices do not match the image's manifest", "a.hcl", 1}}},
		{"image-not-elf", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/text.hvt\"\n}\n"},
			nil, []wantDiag{{"Unreadable image", "a.hcl", 2}}},
		{"image-missing", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/nope.hvt\"\n}\n"},
			nil, []wantDiag{{"Unreadable image", "a.hcl", 2}}},
		{"image-virtio", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/virtio.img\"\n}\n"},
			nil, []wantDiag{{"Unsupported image target", "a.hcl", 2}}},
		{"image-arm64", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/arm64.hvt\"\n}\n"},
			nil, []wantDiag{{"Image for another architecture", "a.hcl", 2}}},
		{"variable-no-value", map[string]string{"a.hcl": "variable \"mem\" {\n  type = number\n}\nunikernel \"a\" {\n  image = \"images/plain.hvt\"\n  memory = var.mem\n}\n"},
			nil, []wantDiag{{"No value for required variable", "a.hcl", 1}}},
		{"variable-default-type", map[string]string{"a.hcl": "variable \"mem\" {\n  type = number\n  default = \"big\"\n}\n"},
			nil, []wantDiag{{"Invalid default value for variable", "a.hcl", 3}}},
		{"variable-flag-type", map[string]string{"a.hcl": "variable \"mem\" {\n  type = number\n  default = 3\n}\n"},
			[]string{"-var", "mem=lots"}, []wantDiag{{"Invalid value for variable", "", 0}}},
		{"variable-flag-undeclared", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n}\n"},
			[]string{"-var", "mem=3"}, []wantDiag{{"Value for undeclared variable", "", 0}}},
		{"undeclared-variable-reference", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  memory = var.mem\n}\n"},
			nil, []wantDiag{{"Unsupported attribute", "a.hcl", 3}}},
		{"local-cycle", map[string]string{"a.hcl": "locals {\n  a = local.b\n  b = local.a\n}\n"},
			nil, []wantDiag{{"Cycle in local values", "a.hcl", 2}}},
		{"duplicate-roost", map[string]string{"a.hcl": "roost {}\n", "b.hcl": "roost {}\n"},
			nil, []wantDiag{{"Duplicate roost block", "b.hcl", 1}}},
		{"block-size-zero", map[string]string{"a.hcl": "block \"data\" {\n  size = 0\n}\n"},
			nil, []wantDiag{{"Value out of range", "a.hcl", 2}}},
		{"block-source-missing", map[string]string{"a.hcl": "block \"data\" {\n  size = 4\n  source = \"nope.img\"\n}\n"},
			nil, []wantDiag{{"Unreadable block source", "a.hcl", 3}}},
		{"block-source-too-big", map[string]string{"a.hcl": "block \"data\" {\n  size = 1\n  source = \"seed.img\"\n}\n"},
			nil, []wantDiag{{"Block source larger than the block", "a.hcl", 3}}},
		{"cpus-duplicate", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  cpus = [0, 0]\n}\n"},
			nil, []wantDiag{{"Duplicate CPU", "a.hcl", 3}}},
		{"file-function-missing", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  argv = [file(\"nope.txt\")]\n}\n"},
			nil, []wantDiag{{"Invalid function argument", "a.hcl", 3}}},
		{"unknown-function", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  argv = [frobnicate(\"x\")]\n}\n"},
			nil, []wantDiag{{"Call to unknown function", "a.hcl", 3}}},
		{"no-files", map[string]string{"README": "nothing here\n"},
			nil, []wantDiag{{"No configuration files", "", 0}}},
		{"several-at-once", map[string]string{"a.hcl": "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  memory = 0\n}\n",
			"b.hcl": "bridge \"abcdefghijklmnop\" {}\nunikernel \"b\" {\n  image = \"images/plain.hvt\"\n  stop_timeout = \"soon\"\n}\n"},
			nil, []wantDiag{{"Value out of range", "a.hcl", 3}, {"Invalid bridge name", "b.hcl", 1}, {"Invalid duration", "b.hcl", 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeImages(t, dir)
			for name, src := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var stdout, stderr bytes.Buffer
			args := append([]string{"validate", "-json", dir}, tt.args...)
			code := Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			if code != 1 {
				t.Errorf("roost validate exit code = %d, want 1; stderr:\n%s", code, stderr.String())
			}
			var out views.Validate
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("decode -json output: %v\n%s", err, stdout.String())
			}
			var got []wantDiag
			for _, d := range out.Diagnostics {
				if d.Severity != "error" {
					continue
				}
				w := wantDiag{Summary: d.Summary}
				if d.Range != nil {
					w.File, w.Line = filepath.Base(d.Range.Filename), d.Range.Start.Line
				}
				got = append(got, w)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s\nfull output:\n%s", diff, stdout.String())
			}
			if out.Valid || out.ErrorCount != len(tt.want) {
				t.Errorf("valid = %v, error_count = %d; want false, %d", out.Valid, out.ErrorCount, len(tt.want))
			}
		})
	}
}
