package shim

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/platform/datadir"
)

// stampRE matches a console line's timestamp and separating space.
var stampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z `)

// readLines returns the lines of a console file, timestamps checked and
// removed; none if it does not exist.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l == "" {
			continue
		}
		if !stampRE.MatchString(l) || !strings.HasSuffix(l, "\n") {
			t.Errorf("%s: line %q: want a timestamp, a space, text and a newline", path, l)
			continue
		}
		lines = append(lines, strings.TrimSuffix(stampRE.ReplaceAllString(l, ""), "\n"))
	}
	return lines
}

func TestConsoleCopy(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"lines", "a\nb\n", []string{"a", "b"}},
		{"partial last line", "a\npartial", []string{"a", "partial"}},
		{"empty lines", "\n\n", []string{"", ""}},
		{"long line split", strings.Repeat("x", maxLine+3) + "\n", []string{strings.Repeat("x", maxLine), "xxx"}},
		{"nothing", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			u, path := consoleDir(t, dir)
			c, err := openConsole(u, "console.log", "console.log.1", DefaultConsoleMax)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.copy(strings.NewReader(tt.input)); err != nil {
				t.Errorf("copy: %v", err)
			}
			c.Close()
			if diff := cmp.Diff(tt.want, readLines(t, path)); diff != "" {
				t.Errorf("console lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConsoleStamp(t *testing.T) {
	u, path := consoleDir(t, t.TempDir())
	c, err := openConsole(u, "console.log", "console.log.1", DefaultConsoleMax)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 10, 7, 13, 123456789, time.FixedZone("CET", 3600))
	if err := c.writeLine(at, []byte("Solo5: hello\n")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "2026-11-27T09:07:13.123Z Solo5: hello\n"; got != want {
		t.Errorf("console.log = %q, want %q", got, want)
	}
}

func TestConsoleRotate(t *testing.T) {
	const lineSize = int64(len(stampLayout) + 1 + 4) // "nnn\n"
	tests := []struct {
		name        string
		max         int64
		lines       int
		wantCurrent []string
		wantRotated []string
	}{
		{"below the cap", 10 * lineSize, 3, []string{"000", "001", "002"}, nil},
		{"at the cap", 3 * lineSize, 3, []string{"000", "001", "002"}, nil},
		{"past the cap", 3 * lineSize, 4, []string{"003"}, []string{"000", "001", "002"}},
		{"rotated twice", 2 * lineSize, 5, []string{"004"}, []string{"002", "003"}},
		{"line above the cap", 5, 2, []string{"001"}, []string{"000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, path := consoleDir(t, t.TempDir())
			c, err := openConsole(u, "console.log", "console.log.1", tt.max)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.lines {
				if err := c.writeLine(time.Now(), fmt.Appendf(nil, "%03d\n", i)); err != nil {
					t.Fatal(err)
				}
			}
			c.Close()
			if diff := cmp.Diff(tt.wantCurrent, readLines(t, path)); diff != "" {
				t.Errorf("console.log (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRotated, readLines(t, path+".1")); diff != "" {
				t.Errorf("console.log.1 (-want +got):\n%s", diff)
			}
		})
	}
}

// consoleDir makes the directory of a unikernel "c" in a data directory at
// root and returns it held open, with the path of console.log in it.
func consoleDir(t *testing.T, root string) (*datadir.Subdir, string) {
	t.Helper()
	d := datadir.Dir(root)
	if err := os.MkdirAll(d.Unikernel("c"), 0o700); err != nil {
		t.Fatal(err)
	}
	u, err := d.OpenUnikernel("c")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	return u, d.Console("c")
}
