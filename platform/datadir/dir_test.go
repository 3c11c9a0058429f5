package datadir

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInit checks which directories roost takes as its data directory, and
// that it never changes the mode of one it did not create (hardening
// finding 6).
func TestInit(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, d string)
		wantErr  error
		wantMode fs.FileMode // of d afterwards
		wantID   string      // the ID it must keep; "": a new one
		legacy   bool        // it may own links from before IDs
	}{
		{name: "new", setup: func(t *testing.T, d string) {}, wantMode: 0o700},
		{name: "empty-private", setup: func(t *testing.T, d string) { mkdir(t, d, 0o750) }, wantMode: 0o750},
		{name: "marked", setup: func(t *testing.T, d string) {
			mkdir(t, d, 0o755)
			write(t, filepath.Join(d, Mark), markText)
			write(t, filepath.Join(d, "anything"), "x")
		}, wantMode: 0o755, legacy: true},
		{name: "from-before-the-mark", setup: func(t *testing.T, d string) {
			mkdir(t, d, 0o700)
			mkdir(t, filepath.Join(d, "unikernels"), 0o700)
			mkdir(t, filepath.Join(d, "unikernels", "web"), 0o700)
			write(t, filepath.Join(d, "roost.lock"), "")
		}, wantMode: 0o700, legacy: true},
		// Only what a plan (roost.lock) or a crashed first mark left:
		// nothing was ever applied, so no link from before IDs is its.
		{name: "planned-only", setup: func(t *testing.T, d string) {
			mkdir(t, d, 0o700)
			write(t, filepath.Join(d, "roost.lock"), "")
			write(t, filepath.Join(d, ".roost-tmp-roost.dbdir.123"), "")
		}, wantMode: 0o700},
		{name: "nothing-applied-before-the-mark", setup: func(t *testing.T, d string) {
			mkdir(t, d, 0o700)
			mkdir(t, filepath.Join(d, "unikernels"), 0o700)
			write(t, filepath.Join(d, "roost.lock"), "")
		}, wantMode: 0o700},
		{name: "shared-with-other-files", setup: func(t *testing.T, d string) {
			mkdir(t, d, fs.ModeSticky|0o777)
			write(t, filepath.Join(d, "someone-elses"), "x")
		}, wantErr: ErrNotDataDir, wantMode: fs.ModeSticky | 0o777},
		{name: "empty-but-world-writable", setup: func(t *testing.T, d string) { mkdir(t, d, fs.ModeSticky|0o777) }, wantErr: ErrNotDataDir, wantMode: fs.ModeSticky | 0o777},
		{name: "wrong-mark", setup: func(t *testing.T, d string) {
			mkdir(t, d, 0o700)
			write(t, filepath.Join(d, Mark), "something else")
		}, wantErr: ErrNotDataDir, wantMode: 0o700},
		{name: "marked-with-an-id", setup: func(t *testing.T, d string) {
			mkdir(t, d, 0o700)
			write(t, filepath.Join(d, Mark), markText+"id 0123456789\n")
		}, wantMode: 0o700, wantID: "0123456789"},
		{name: "marked-with-an-id-from-before-ids", setup: func(t *testing.T, d string) {
			mkdir(t, d, 0o700)
			write(t, filepath.Join(d, Mark), markText+"id 0123456789\n"+legacyLine)
		}, wantMode: 0o700, wantID: "0123456789", legacy: true},
		{name: "marked-with-a-bad-id", setup: func(t *testing.T, d string) {
			mkdir(t, d, 0o700)
			write(t, filepath.Join(d, Mark), markText+"id ../../x\n")
		}, wantErr: ErrNotDataDir, wantMode: 0o700},
		{name: "marked-with-more", setup: func(t *testing.T, d string) {
			mkdir(t, d, 0o700)
			write(t, filepath.Join(d, Mark), markText+"id 0123456789\nmore\n")
		}, wantErr: ErrNotDataDir, wantMode: 0o700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := filepath.Join(t.TempDir(), "db")
			tt.setup(t, d)
			if _, legacy := Dir(d).Identity(); legacy != (tt.legacy && tt.wantErr == nil) && tt.wantID == "" {
				t.Errorf("before Init, links from before IDs = %v, want %v", legacy, tt.legacy)
			}
			err := Dir(d).Init()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Init = %v, want %v", err, tt.wantErr)
			}
			fi, serr := os.Stat(d)
			if serr != nil {
				t.Fatal(serr)
			}
			if got := fi.Mode() & (fs.ModePerm | fs.ModeSticky); got != tt.wantMode {
				t.Errorf("mode after Init = %v, want %v", got, tt.wantMode)
			}
			if err != nil {
				if _, err := os.Stat(filepath.Join(d, "images")); err == nil {
					t.Errorf("a refused directory got roost's subdirectories")
				}
				return
			}
			b, err := os.ReadFile(filepath.Join(d, Mark))
			id, legacy := Dir(d).Identity()
			want := markText + "id " + id + "\n"
			if tt.legacy {
				want += legacyLine
			}
			if err != nil || !ValidID(id) || string(b) != want || legacy != tt.legacy {
				t.Errorf("mark = %q, %v, links from before IDs %v; want %q", b, err, legacy, want)
			}
			if tt.wantID != "" && id != tt.wantID {
				t.Errorf("ID = %q, want the one it had, %q", id, tt.wantID)
			}
			if err := Dir(d).Init(); err != nil || Dir(d).ID() != id {
				t.Errorf("Init again = %v, ID %q; want the ID %q kept", err, Dir(d).ID(), id)
			}
			for _, sub := range []string{"images", "block", "unikernels"} {
				if fi, err := os.Stat(filepath.Join(d, sub)); err != nil || !fi.IsDir() {
					t.Errorf("%s: %v", sub, err)
				}
			}
		})
	}
}

func mkdir(t *testing.T, p string, mode fs.FileMode) {
	t.Helper()
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestInitConcurrent has several Inits take a new directory at once, as
// apply's first steps do (storing an image, creating a block): each
// takes it. One used to find the mark another had just written and
// refuse the directory as not roost's.
func TestInitConcurrent(t *testing.T) {
	for round := range 50 {
		d := Dir(filepath.Join(t.TempDir(), "db"))
		errs := make(chan error, 8)
		for range 8 {
			go func() { errs <- d.Init() }()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: Init = %v", round, err)
			}
		}
		if b, _ := os.ReadFile(filepath.Join(string(d), Mark)); string(b) != markText+"id "+d.ID()+"\n" || d.ID() == "" {
			t.Fatalf("round %d: mark %q after concurrent Inits", round, b)
		}
	}
}

// TestInitProcesses has several processes take a new directory at once,
// as commands started together do (some claim before they take
// roost.lock): all of them read the one ID that was given.
func TestInitProcesses(t *testing.T) {
	if dir := os.Getenv("ROOST_TEST_INIT_DIR"); dir != "" {
		if err := Dir(dir).Init(); err != nil {
			t.Fatal(err)
		}
		fmt.Println("ID", Dir(dir).ID())
		return
	}
	for round := range 5 {
		d := filepath.Join(t.TempDir(), "db")
		var cmds []*exec.Cmd
		var outs []*bytes.Buffer
		for range 6 {
			cmd := exec.Command(os.Args[0], "-test.run=^TestInitProcesses$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "ROOST_TEST_INIT_DIR="+d)
			out := &bytes.Buffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds, outs = append(cmds, cmd), append(outs, out)
		}
		ids := map[string]bool{}
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("round %d: Init process: %v\n%s", round, err, outs[i])
			}
			for _, l := range strings.Split(outs[i].String(), "\n") {
				if id, ok := strings.CutPrefix(l, "ID "); ok {
					ids[id] = true
				}
			}
		}
		if len(ids) != 1 || ids[Dir(d).ID()] != true {
			t.Fatalf("round %d: the processes read IDs %v, the mark says %q; want one", round, ids, Dir(d).ID())
		}
	}
}
