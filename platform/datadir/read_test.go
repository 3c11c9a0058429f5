package datadir

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/internal/regfile"
)

// TestReadFileLimit reads files about the limit through the data
// directory and through a held directory: up to it is read whole (across
// as many reads as it takes), past it is ErrTooLarge.
func TestReadFileLimit(t *testing.T) {
	d := Dir(t.TempDir())
	mkdir(t, d.UnikernelsDir(), 0o700)
	mkdir(t, d.Unikernel("web"), 0o700)
	const limit = 9000 // over two of readFD's first buffers
	for _, tc := range []struct {
		size    int
		wantErr error
	}{{0, nil}, {1, nil}, {511, nil}, {512, nil}, {limit - 1, nil}, {limit, nil}, {limit + 1, ErrTooLarge}, {3 * limit, ErrTooLarge}} {
		content := strings.Repeat("x", tc.size)
		path := filepath.Join(d.Unikernel("web"), "f")
		write(t, path, content)
		u, err := d.OpenUnikernel("web")
		if err != nil {
			t.Fatal(err)
		}
		for name, read := range map[string]func() ([]byte, error){
			"Dir.ReadFile":    func() ([]byte, error) { return d.ReadFile(path, limit) },
			"Subdir.ReadFile": func() ([]byte, error) { return u.ReadFile("f", limit) },
		} {
			b, err := read()
			if !errors.Is(err, tc.wantErr) || tc.wantErr == nil && string(b) != content {
				t.Errorf("%s of %d bytes (limit %d) = %d bytes, %v; want its content, error %v", name, tc.size, limit, len(b), err, tc.wantErr)
			}
		}
		u.Close()
	}
}

// TestHeldDirectoriesRefuseLinks puts symbolic links where a held
// directory, a directory beneath it and a file are read.
func TestHeldDirectoriesRefuseLinks(t *testing.T) {
	d := Dir(t.TempDir())
	other := t.TempDir()
	write(t, filepath.Join(other, "spec.json"), "{}")
	mkdir(t, d.UnikernelsDir(), 0o700)
	mkdir(t, d.Unikernel("web"), 0o700)
	if err := os.Symlink(other, d.Unikernel("evil")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "spec.json"), filepath.Join(d.Unikernel("web"), "spec.json")); err != nil {
		t.Fatal(err)
	}
	top, err := d.OpenDir(d.UnikernelsDir())
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	if u, err := top.Sub("evil"); !errors.Is(err, ErrSymlink) {
		t.Errorf("Sub of a link to a directory = %v, %v; want ErrSymlink", u, err)
	}
	if _, err := d.OpenUnikernel("evil"); !errors.Is(err, ErrSymlink) {
		t.Errorf("OpenUnikernel of a link = %v; want ErrSymlink", err)
	}
	for _, name := range []string{"..", ".", "a/b", ""} {
		if _, err := top.Sub(name); !errors.Is(err, ErrOutside) {
			t.Errorf("Sub(%q) = %v; want ErrOutside", name, err)
		}
	}
	u, err := top.Sub("web")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if u.Name() != "web" {
		t.Errorf("Name = %q, want web", u.Name())
	}
	var v map[string]any
	if err := u.ReadJSON("spec.json", &v); !errors.Is(err, ErrSymlink) {
		t.Errorf("ReadJSON of a link = %v; want ErrSymlink", err)
	}
	if fd, err := u.OpenFD("spec.json", os.O_RDONLY); !errors.Is(err, ErrSymlink) {
		closeFD(fd)
		t.Errorf("OpenFD of a link = %v; want ErrSymlink", err)
	}
	if _, err := d.OpenDir(filepath.Join(string(d), "unikernels", "evil")); !errors.Is(err, ErrSymlink) {
		t.Errorf("OpenDir through a link = %v; want ErrSymlink", err)
	}
}

// TestReadJSONWith checks that the given decoder decodes, that its
// errors are parse errors naming the file, and that one file's bytes do
// not reach the next through the shared buffers.
func TestReadJSONWith(t *testing.T) {
	d := Dir(t.TempDir())
	mkdir(t, d.UnikernelsDir(), 0o700)
	mkdir(t, d.Unikernel("web"), 0o700)
	write(t, filepath.Join(d.Unikernel("web"), "long.json"), `{"a": "`+strings.Repeat("y", 5000)+`"}`)
	write(t, filepath.Join(d.Unikernel("web"), "short.json"), `{"a": "z"}`)
	write(t, filepath.Join(d.Unikernel("web"), "bad.json"), `{"a": `)
	u, err := d.OpenUnikernel("web")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	calls := 0
	unmarshal := func(b []byte, v any) error { calls++; return json.Unmarshal(b, v) }
	for _, name := range []string{"long.json", "short.json"} {
		var v struct{ A string }
		if err := u.ReadJSONWith(name, &v, unmarshal); err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"long.json": 5000, "short.json": 1}[name]; len(v.A) != want {
			t.Errorf("ReadJSONWith(%s): a of %d bytes, want %d", name, len(v.A), want)
		}
	}
	if calls != 2 {
		t.Errorf("the decoder given was called %d times, want 2", calls)
	}
	var v struct{ A string }
	err = u.ReadJSONWith("bad.json", &v, unmarshal)
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Op != "parse" || pe.Path != u.Path("bad.json") {
		t.Errorf("ReadJSONWith of a truncated file = %v; want a parse error of %s", err, u.Path("bad.json"))
	}
}

// TestDurationJSON decodes durations the way written (plain) and the way
// JSON allows (escaped), which take two paths.
func TestDurationJSON(t *testing.T) {
	for in, want := range map[string]Duration{
		`"1s"`:       Duration(1e9),
		`"\u0031s"`:  Duration(1e9),
		`"5m0s"`:     Duration(300e9),
		`"1\u00b5s"`: Duration(1e3),
		`"1µs"`:      Duration(1e3),
		`"-1h"`:      Duration(-3600e9),
	} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err != nil || d != want {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", in, d, err, want)
		}
	}
	for _, in := range []string{`"1x"`, `""`, `1`, `"\u0031"`} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", in, d)
		}
	}
}

// TestFileDigest checks that a spec as WriteJSON writes it has the
// digest of the spec, strings holding what JSON escapes and spaces
// included, and that another layout of it does not pass for it.
func TestFileDigest(t *testing.T) {
	d := Dir(t.TempDir())
	mkdir(t, d.UnikernelsDir(), 0o700)
	mkdir(t, d.Unikernel("web"), 0o700)
	for _, spec := range []Spec{
		{},
		{Name: "web", Argv: []string{"--hello= world \" \\ \t\n <b>&", "ünï ☃ \u2028"}, Command: []string{"a b", ""}, MemoryMiB: 32,
			Restart: Restart{Policy: "always", ExitCodes: []int{1, 2}, Backoff: Duration(time.Second)}, StopTimeout: Duration(time.Minute),
			Nets: []SpecNet{{Device: "service", Bridge: "br 0", MAC: "02:00:00:00:00:01", Tap: "rt0"}}, UID: 5},
	} {
		if err := d.WriteJSON(d.Spec("web"), &spec); err != nil {
			t.Fatal(err)
		}
		b, err := d.ReadFile(d.Spec("web"), MaxJSON)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := FileDigest(b), Digest(&spec); got != want {
			t.Errorf("FileDigest of spec.json as written = %s, Digest of its spec %s\n%s", got, want, b)
		}
		var again Spec
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		if FileDigest(b) != Digest(&again) {
			t.Errorf("FileDigest differs from the Digest of the spec decoded from the file")
		}
		// Whitespace between tokens is layout alone: the same digest.
		spaced := strings.ReplaceAll(string(b), `":`, `" :`)
		if FileDigest([]byte(spaced)) != Digest(&spec) {
			t.Errorf("FileDigest of the file with spaces between tokens differs")
		}
		// Another encoding of the same spec (an escaped letter): another
		// digest, which sends the caller to Digest.
		escaped := strings.Replace(string(b), `"name"`, `"\u006eame"`, 1)
		if FileDigest([]byte(escaped)) == Digest(&spec) {
			t.Errorf("FileDigest of another encoding of the spec passed for its digest")
		}
	}
}

// TestWalkRefusesLinks runs the walk that stands in for openat2 (FreeBSD,
// older Linux) over links: to a directory on the way, at the end, to a
// file; each is ErrSymlink, and a plain file on the way is not.
func TestWalkRefusesLinks(t *testing.T) {
	root := t.TempDir()
	other := t.TempDir()
	mkdir(t, filepath.Join(root, "dir"), 0o700)
	write(t, filepath.Join(root, "dir", "file"), "x")
	write(t, filepath.Join(other, "file"), "y")
	for name, target := range map[string]string{"dirlink": other, "dir/filelink": filepath.Join(other, "file")} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	rootfd, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer rootfd.Close()
	for _, tc := range []struct {
		rel     string
		flag    int
		wantErr error
	}{
		{"dirlink/file", os.O_RDONLY, ErrSymlink},
		{"dirlink", os.O_RDONLY | oDirectory, ErrSymlink},
		{"dirlink", os.O_RDONLY, ErrSymlink},
		{"dir/filelink", os.O_RDONLY, ErrSymlink},
		{"dir/file/x", os.O_RDONLY, nil},
		{"dir/file", os.O_RDONLY, nil},
	} {
		fd, err := walkat(int(rootfd.Fd()), tc.rel, tc.flag, 0)
		if err == nil {
			closeFD(fd)
		}
		switch {
		case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
			t.Errorf("walkat(%s) = %v, want %v", tc.rel, err, tc.wantErr)
		case tc.wantErr == nil && errors.Is(err, ErrSymlink):
			t.Errorf("walkat(%s) = %v, want no ErrSymlink", tc.rel, err)
		}
	}
	if fd, err := walkat(int(rootfd.Fd()), "dir/file", os.O_RDONLY, 0); err != nil {
		t.Errorf("walkat(dir/file) = %v, want it opened", err)
	} else {
		closeFD(fd)
	}
}

// TestReadRefusesIrregular plants a named pipe and a directory where the
// data directory's files are read: each read ends at once with
// ErrNotRegular naming the kind, none waits for a writer, and an open
// for appending (the console) fails rather than waits for a reader. Then
// the pipe's other end is held open, which made an *os.File of the pipe
// wait in Go's poller: opening it is refused at once all the same.
func TestReadRefusesIrregular(t *testing.T) {
	d := Dir(t.TempDir())
	mkdir(t, d.UnikernelsDir(), 0o700)
	mkdir(t, d.Unikernel("web"), 0o700)
	if err := unix.Mkfifo(d.Spec("web"), 0o600); err != nil {
		t.Fatal(err)
	}
	mkdir(t, d.Status("web"), 0o700)
	u, err := d.OpenUnikernel("web")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	var v Spec
	readAll := func(f *os.File, err error) error {
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.ReadAll(f)
		return err
	}
	cases := []struct {
		name string
		kind string // in the error
		read func() error
	}{
		{"Dir.ReadFile of a pipe", "(a named pipe)", func() error { _, err := d.ReadFile(d.Spec("web"), MaxJSON); return err }},
		{"Dir.ReadJSON of a pipe", "(a named pipe)", func() error { return d.ReadJSON(d.Spec("web"), &v) }},
		{"Subdir.ReadFile of a pipe", "(a named pipe)", func() error { _, err := u.ReadFile("spec.json", MaxJSON); return err }},
		{"Subdir.ReadJSON of a pipe", "(a named pipe)", func() error { return u.ReadJSON("spec.json", &v) }},
		{"Subdir.ReadJSON of a dir", "(a directory)", func() error { return u.ReadJSON("status.json", &v) }},
		{"Dir.ReadJSON of a dir", "(a directory)", func() error { return d.ReadJSON(d.Status("web"), &v) }},
		{"Dir.Open of a pipe", "(a named pipe)", func() error { return readAll(d.Open(d.Spec("web"), os.O_RDONLY, 0)) }},
		{"Dir.Open of a dir", "(a directory)", func() error { return readAll(d.Open(d.Status("web"), os.O_RDONLY, 0)) }},
		{"Subdir.Open of a pipe to append", "", func() error {
			f, err := u.Open("spec.json", os.O_WRONLY|os.O_APPEND, 0)
			if err == nil {
				f.Close()
			}
			return err
		}},
	}
	run := func(held string) {
		for _, tc := range cases {
			done := make(chan error, 1)
			go func() { done <- tc.read() }()
			select {
			case err := <-done:
				switch {
				case err == nil:
					t.Errorf("%s%s succeeded, want an error", tc.name, held)
				case tc.kind != "" && !errors.Is(err, regfile.ErrNotRegular):
					t.Errorf("%s%s = %v, want ErrNotRegular", tc.name, held, err)
				case tc.kind != "" && !strings.Contains(err.Error(), tc.kind):
					t.Errorf("%s%s = %v, want it to say %s", tc.name, held, err, tc.kind)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s%s still waits after 5 s", tc.name, held)
			}
		}
	}
	run("")
	// Both ends held by this test: a writer that never writes, a reader
	// that never reads.
	other, err := os.OpenFile(d.Spec("web"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cases[len(cases)-1].kind = "(a named pipe)" // an open to append now gets as far as the check
	run(", its other end held")
}

// TestSyncDirRefusesPipe plants a named pipe where a directory of the
// data directory is synced, and where its root is listed: both fail at
// once rather than wait for the pipe's other end.
func TestSyncDirRefusesPipe(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "db"))
	mkdir(t, string(d), 0o700)
	if err := unix.Mkfifo(d.BlockDir(), 0o600); err != nil {
		t.Fatal(err)
	}
	pipeRoot := filepath.Join(t.TempDir(), "pipe")
	if err := unix.Mkfifo(pipeRoot, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"SyncDir":   func() error { return d.SyncDir(d.BlockDir()) },
		"readDirAt": func() error { _, err := readDirAt(pipeRoot); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			if !errors.Is(err, unix.ENOTDIR) {
				t.Errorf("%s of a named pipe = %v, want ENOTDIR", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s of a named pipe still waits after 5 s", name)
		}
	}
}
