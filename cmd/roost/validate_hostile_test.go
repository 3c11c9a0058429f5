package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/cmd/roost/views"
	"golang.org/x/sys/unix"
)

// hostileDiag is what a hostile-input case pins down of an error: all of
// it, the detail with the directory written $DIR.
type hostileDiag struct {
	Summary string
	File    string // base name; "" for diagnostics without a place
	Line    int
	Detail  string
}

// nested returns open n times, inner, close n times.
func nested(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

const deep = 100000 // deeper than any stack: the depth of issue 8, finding 10

const nestDetail = "This nests more than 256 levels deep, counting brackets, braces, parentheses, templates, unary operators and chained conditionals together. roost refuses such input before parsing it, since parsing it could exhaust the stack; write it with less nesting."

// fifo, link, sparse and mkdir are setups of hostile files.
func fifo(name string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := unix.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func link(name, target string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func sparse(name string, size int64) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
	}
}

func mkdir(name string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

const imageA = "unikernel \"a\" {\n  image = \"x.hvt\"\n}\n"

func argvFile(arg string) string {
	return "unikernel \"a\" {\n  image = \"images/plain.hvt\"\n  argv  = [file(\"" + arg + "\")]\n}\n"
}

// TestValidateHostile is the configuration share of issue 8's bad-input
// catalogue: files that are not regular, too large, or nested too deep,
// and encodings. Each must end at once with exit 1 and exactly these
// diagnostics (never a hang, a crash or unbounded memory), and validate
// must change nothing.
func TestValidateHostile(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		setup func(t *testing.T, dir string)
		args  []string
		want  []hostileDiag // none: valid, exit 0
	}{
		{"image-fifo", map[string]string{"main.hcl": imageA}, fifo("x.hvt"), nil,
			[]hostileDiag{{"Unreadable image", "main.hcl", 2, `The image of unikernel "a" cannot be used: x.hvt is not a regular file (a named pipe).`}}},
		{"image-dev-zero", map[string]string{"main.hcl": imageA}, link("x.hvt", "/dev/zero"), nil,
			[]hostileDiag{{"Unreadable image", "main.hcl", 2, `The image of unikernel "a" cannot be used: x.hvt is not a regular file (a character device).`}}},
		{"image-directory", map[string]string{"main.hcl": imageA}, mkdir("x.hvt"), nil,
			[]hostileDiag{{"Unreadable image", "main.hcl", 2, `The image of unikernel "a" cannot be used: x.hvt is not a regular file (a directory).`}}},
		{"image-too-large", map[string]string{"main.hcl": imageA}, sparse("x.hvt", 1<<30+1), nil,
			[]hostileDiag{{"Unreadable image", "main.hcl", 2, `The image of unikernel "a" cannot be used: x.hvt is larger than the limit of 1 GiB (1073741825 bytes).`}}},
		{"image-dangling-link", map[string]string{"main.hcl": imageA}, link("x.hvt", "nowhere"), nil,
			[]hostileDiag{{"Unreadable image", "main.hcl", 2, `The image of unikernel "a" cannot be used: x.hvt: no such file or directory.`}}},
		{"file-fifo", map[string]string{"main.hcl": argvFile("fifo")}, fifo("fifo"), nil,
			[]hostileDiag{{"Invalid function argument", "main.hcl", 3, `Invalid value for "path" parameter: read fifo: not a regular file (a named pipe).`}}},
		{"file-dev-zero", map[string]string{"main.hcl": argvFile("/dev/zero")}, nil, nil,
			[]hostileDiag{{"Invalid function argument", "main.hcl", 3, `Invalid value for "path" parameter: read /dev/zero: not a regular file (a character device).`}}},
		{"file-dev-zero-link", map[string]string{"main.hcl": argvFile("z")}, link("z", "/dev/zero"), nil,
			[]hostileDiag{{"Invalid function argument", "main.hcl", 3, `Invalid value for "path" parameter: read z: not a regular file (a character device).`}}},
		{"file-directory", map[string]string{"main.hcl": argvFile("images")}, nil, nil,
			[]hostileDiag{{"Invalid function argument", "main.hcl", 3, `Invalid value for "path" parameter: read images: not a regular file (a directory).`}}},
		{"file-too-large", map[string]string{"main.hcl": argvFile("big")}, sparse("big", 16<<20+1), nil,
			[]hostileDiag{{"Invalid function argument", "main.hcl", 3, `Invalid value for "path" parameter: read big: larger than the limit of 16 MiB (16777217 bytes).`}}},
		{"file-not-utf8", map[string]string{"main.hcl": argvFile("latin1"), "latin1": "caf\xe9\n"}, nil, nil,
			[]hostileDiag{{"Invalid function argument", "main.hcl", 3, `Invalid value for "path" parameter: contents of latin1 are not valid UTF-8.`}}},
		{"main-hcl-dev-zero", nil, link("main.hcl", "/dev/zero"), nil,
			[]hostileDiag{{"Unreadable configuration file", "main.hcl", 1, `The configuration file $DIR/main.hcl cannot be read: not a regular file (a character device). roost reads only regular files of at most 16 MiB.`}}},
		{"hcl-fifo", map[string]string{"main.hcl": "bridge \"br0\" {}\n"}, fifo("x.hcl"), nil,
			[]hostileDiag{{"Unreadable configuration file", "x.hcl", 1, `The configuration file $DIR/x.hcl cannot be read: not a regular file (a named pipe). roost reads only regular files of at most 16 MiB.`}}},
		{"hcl-directory", map[string]string{"main.hcl": "bridge \"br0\" {}\n"}, mkdir("x.hcl"), nil,
			[]hostileDiag{{"Unreadable configuration file", "x.hcl", 1, `The configuration file $DIR/x.hcl cannot be read: not a regular file (a directory). roost reads only regular files of at most 16 MiB.`}}},
		{"hcl-too-large", nil, sparse("main.hcl", 16<<20+1), nil,
			[]hostileDiag{{"Unreadable configuration file", "main.hcl", 1, `The configuration file $DIR/main.hcl cannot be read: larger than the limit of 16 MiB (16777217 bytes). roost reads only regular files of at most 16 MiB.`}}},
		{"hcl-nul-bytes", map[string]string{"main.hcl": "bridge \"br0\" {\x00}\n"}, nil, nil,
			[]hostileDiag{{"Invalid character", "main.hcl", 1, "This character is not used within the language."},
				{"Argument or block definition required", "main.hcl", 1, "An argument or block definition is required here."}}},
		{"hcl-not-utf8", map[string]string{"main.hcl": "bridge \"br\xff\" {}\n"}, nil, nil,
			[]hostileDiag{{"Invalid character encoding", "main.hcl", 1, "All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is selected in your editor."},
				{"Invalid string literal", "main.hcl", 1, "This item is not valid in a string literal."}}},
		{"hcl-crlf", map[string]string{"main.hcl": "bridge \"br0\" {\r\n  mtu = 1500\r\n}\r\n"}, nil, nil, nil},
		{"hcl-bom", map[string]string{"main.hcl": "\ufeffbridge \"br0\" {}\n"}, nil, nil, nil},
		{"nest-parens", map[string]string{"main.hcl": "locals {\n  x = " + nested("(", "1", ")", deep) + "\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 2, nestDetail}}},
		{"nest-brackets", map[string]string{"main.hcl": "locals {\n  x = " + nested("[", "1", "]", deep) + "\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 2, nestDetail}}},
		{"nest-objects", map[string]string{"main.hcl": "locals {\n  x = " + nested("{a = ", "1", "}", deep) + "\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 2, nestDetail}}},
		{"nest-blocks", map[string]string{"main.hcl": nested("roost {\n", "", "}\n", deep)}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 257, nestDetail}}},
		{"nest-calls", map[string]string{"main.hcl": "locals {\n  x = " + nested("max(", "1", ")", deep) + "\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 2, nestDetail}}},
		{"nest-template", map[string]string{"main.hcl": "locals {\n  x = " + nested(`"${`, "1", `}"`, deep) + "\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 2, nestDetail}}},
		{"nest-template-if", map[string]string{"main.hcl": "locals {\n  x = \"" + nested("%{ if true }", "x", "%{ endif }", deep) + "\"\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 2, nestDetail}}},
		{"nest-heredoc", map[string]string{"main.hcl": "locals {\n  x = <<EOT\n" + nested("${", "1", "}", deep) + "\nEOT\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 3, nestDetail}}},
		{"nest-unary", map[string]string{"main.hcl": "locals {\n  x = " + strings.Repeat("-", deep) + "1\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 2, nestDetail}}},
		{"nest-conditionals", map[string]string{"main.hcl": "locals {\n  x = " + strings.Repeat("true ? 1 : ", deep) + "1\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 2, nestDetail}}},
		{"nest-type", map[string]string{"main.hcl": "variable \"v\" {\n  type = " + nested("list(", "string", ")", deep) + "\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "main.hcl", 2, nestDetail}}},
		{"nest-in-a-second-file", map[string]string{"a.hcl": "bridge \"br0\" {}\n", "b.hcl": "\n\nlocals {\n  x = " + nested("(", "1", ")", deep) + "\n}\n"}, nil, nil,
			[]hostileDiag{{"Nesting too deep", "b.hcl", 4, nestDetail}}},
		{"nest-var-flag", map[string]string{"main.hcl": "variable \"v\" {\n  type = list(any)\n  default = []\n}\n"}, nil,
			[]string{"-var", "v=" + nested("[", "1", "]", 50000)},
			[]hostileDiag{{"Invalid value for variable", "", 0, `The value "` + strings.Repeat("[", 64) + `..." from -var v is not a valid list(any) for variable "v": ` + nestDetail + "."}}},
		{"nest-var-file", map[string]string{"main.hcl": "variable \"v\" {\n  default = 1\n}\n", "vars.tfvars": "v = " + nested("(", "1", ")", deep) + "\n"}, nil,
			[]string{"-var-file", "VARS"}, []hostileDiag{{"Nesting too deep", "vars.tfvars", 1, nestDetail}}},
		{"var-file-fifo", map[string]string{"main.hcl": "variable \"v\" {\n  default = 1\n}\n"}, fifo("vars.tfvars"),
			[]string{"-var-file", "VARS"}, []hostileDiag{{"Unreadable variables file", "vars.tfvars", 1, `The variables file $DIR/vars.tfvars cannot be read: not a regular file (a named pipe). roost reads only regular files of at most 16 MiB.`}}},
		{"var-file-dev-zero", map[string]string{"main.hcl": "variable \"v\" {\n  default = 1\n}\n"}, link("vars.tfvars", "/dev/zero"),
			[]string{"-var-file", "VARS"}, []hostileDiag{{"Unreadable variables file", "vars.tfvars", 1, `The variables file $DIR/vars.tfvars cannot be read: not a regular file (a character device). roost reads only regular files of at most 16 MiB.`}}},
		{"jsondecode-deep", map[string]string{"main.hcl": "locals {\n  x = jsondecode(file(\"deep.json\"))\n}\n", "deep.json": nested("[", "1", "]", deep)}, nil, nil,
			[]hostileDiag{{"Invalid function argument", "main.hcl", 2, `Invalid value for "str" parameter: the JSON nests more than 256 levels deep.`}}},
		{"block-source-fifo", map[string]string{"main.hcl": "block \"data\" {\n  size   = 1\n  source = \"seed\"\n}\n"}, fifo("seed"), nil,
			[]hostileDiag{{"Invalid block source", "main.hcl", 3, `The source of block "data", seed, is not a regular file (a named pipe).`}}},
		{"block-source-dev-zero", map[string]string{"main.hcl": "block \"data\" {\n  size   = 1\n  source = \"/dev/zero\"\n}\n"}, nil, nil,
			[]hostileDiag{{"Invalid block source", "main.hcl", 3, `The source of block "data", /dev/zero, is not a regular file (a character device).`}}},
		{"block-source-directory", map[string]string{"main.hcl": "block \"data\" {\n  size   = 1\n  source = \"images\"\n}\n"}, nil, nil,
			[]hostileDiag{{"Invalid block source", "main.hcl", 3, `The source of block "data", images, is not a regular file (a directory).`}}},
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
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before := tree(t, dir)
			args := []string{"validate", "-json", dir}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "VARS", filepath.Join(dir, "vars.tfvars")))
			}
			var stdout, stderr bytes.Buffer
			done := make(chan int)
			go func() { done <- Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("roost validate did not return within 30s")
			}
			wantCode := 1
			if len(tt.want) == 0 {
				wantCode = 0
			}
			if code != wantCode {
				t.Errorf("roost validate exit code = %d, want %d; stderr:\n%s", code, wantCode, stderr.String())
			}
			var out views.Validate
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("decode -json output: %v\n%.2000s", err, stdout.String())
			}
			var got []hostileDiag
			for _, d := range out.Diagnostics {
				if d.Severity != "error" {
					continue
				}
				w := hostileDiag{Summary: d.Summary, Detail: strings.ReplaceAll(d.Detail, dir, "$DIR")}
				if d.Range != nil {
					w.File, w.Line = filepath.Base(d.Range.Filename), d.Range.Start.Line
				}
				got = append(got, w)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%.4000s", diff)
			}
			if after := tree(t, dir); after != before {
				t.Errorf("validate changed the directory:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// tree lists dir's entries with kind, size and modification time, without
// following links: validate must leave them as they were.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d %d\n", strings.TrimPrefix(p, dir), fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
