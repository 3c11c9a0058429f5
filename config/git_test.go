package config_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roostd/roost/config"
)

// git runs git in dir with a configuration of its own, so that neither the
// user's nor the system's settings nor a surrounding repository (GIT_DIR
// from a hook) reach the test, and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitCmd(dir, args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, ee.Stderr)
		}
		t.Fatalf("git %s in %s: %v", strings.Join(args, " "), dir, err)
	}
	return strings.TrimSpace(string(out))
}

func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", append([]string{
		"-c", "user.name=roost test",
		"-c", "user.email=roost@example.com",
		"-c", "init.defaultBranch=main",
		"-c", "commit.gpgsign=false",
		"-c", "tag.gpgsign=false",
		"-c", "protocol.file.allow=always", // submodule add from a local path
	}, args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	return cmd
}

// revParse is what git says HEAD is in dir, "" when it says nothing.
func revParse(dir string) string {
	out, err := gitCmd(dir, "rev-parse", "--verify", "-q", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// newRepo makes a repository at dir with one commit, unless commits is 0.
func newRepo(t *testing.T, dir string, commits int, initArgs ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, dir, append([]string{"init", "-q"}, initArgs...)...)
	for range commits {
		commit(t, dir)
	}
	return dir
}

// commit makes an empty commit in the work tree at dir.
func commit(t *testing.T, dir string) {
	t.Helper()
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "change")
}

func TestGitCommit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("this test needs the git binary: %v", err)
	}
	tests := []struct {
		name string
		// setup makes a tree under root and returns the directory to ask
		// about.
		setup  func(t *testing.T, root string) string
		wantOK bool
	}{
		{
			name:   "loose-ref",
			setup:  func(t *testing.T, root string) string { return newRepo(t, root, 1) },
			wantOK: true,
		},
		{
			name: "subdirectory",
			setup: func(t *testing.T, root string) string {
				newRepo(t, root, 1)
				dir := filepath.Join(root, "hosts", "web")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				return dir
			},
			wantOK: true,
		},
		{
			name: "relative-dir",
			setup: func(t *testing.T, root string) string {
				newRepo(t, root, 1)
				t.Chdir(root)
				return "."
			},
			wantOK: true,
		},
		{
			name: "other-branch",
			setup: func(t *testing.T, root string) string {
				newRepo(t, root, 1)
				git(t, root, "checkout", "-q", "-b", "feature/x")
				commit(t, root)
				return root
			},
			wantOK: true,
		},
		{
			name: "packed-refs",
			setup: func(t *testing.T, root string) string {
				newRepo(t, root, 2)
				git(t, root, "tag", "-a", "-m", "v1", "v1") // a peeled "^" line
				git(t, root, "pack-refs", "--all")
				if _, err := os.Stat(filepath.Join(root, ".git", "refs", "heads", "main")); !os.IsNotExist(err) {
					t.Fatalf("after pack-refs, stat refs/heads/main = %v, want not exist", err)
				}
				return root
			},
			wantOK: true,
		},
		{
			name: "loose-ref-newer-than-packed",
			setup: func(t *testing.T, root string) string {
				newRepo(t, root, 1)
				git(t, root, "pack-refs", "--all")
				commit(t, root)
				return root
			},
			wantOK: true,
		},
		{
			name: "detached",
			setup: func(t *testing.T, root string) string {
				newRepo(t, root, 2)
				git(t, root, "checkout", "-q", "--detach", "HEAD~1")
				return root
			},
			wantOK: true,
		},
		{
			name: "worktree",
			setup: func(t *testing.T, root string) string {
				repo := newRepo(t, filepath.Join(root, "repo"), 1)
				wt := filepath.Join(root, "wt")
				git(t, repo, "worktree", "add", "-q", "-b", "staging", wt)
				commit(t, wt)
				return wt
			},
			wantOK: true,
		},
		{
			name: "worktree-packed-refs",
			setup: func(t *testing.T, root string) string {
				repo := newRepo(t, filepath.Join(root, "repo"), 1)
				wt := filepath.Join(root, "wt")
				git(t, repo, "worktree", "add", "-q", "-b", "staging", wt)
				commit(t, wt)
				git(t, wt, "pack-refs", "--all")
				return wt
			},
			wantOK: true,
		},
		{
			name: "worktree-detached",
			setup: func(t *testing.T, root string) string {
				repo := newRepo(t, filepath.Join(root, "repo"), 2)
				wt := filepath.Join(root, "wt")
				git(t, repo, "worktree", "add", "-q", "--detach", wt, "HEAD~1")
				return wt
			},
			wantOK: true,
		},
		{
			name: "main-work-tree-beside-worktree",
			setup: func(t *testing.T, root string) string {
				repo := newRepo(t, filepath.Join(root, "repo"), 1)
				wt := filepath.Join(root, "wt")
				git(t, repo, "worktree", "add", "-q", "-b", "staging", wt)
				commit(t, wt)
				return repo
			},
			wantOK: true,
		},
		{
			name: "submodule",
			setup: func(t *testing.T, root string) string {
				sub := newRepo(t, filepath.Join(root, "sub"), 2)
				super := newRepo(t, filepath.Join(root, "super"), 1)
				git(t, super, "submodule", "-q", "add", sub, "conf")
				dir := filepath.Join(super, "conf")
				if fi, err := os.Stat(filepath.Join(dir, ".git")); err != nil || fi.IsDir() {
					t.Fatalf("submodule's .git: %v, want a file", err)
				}
				return dir
			},
			wantOK: true,
		},
		{
			name:   "sha256",
			setup:  func(t *testing.T, root string) string { return newRepo(t, root, 1, "--object-format=sha256") },
			wantOK: true,
		},
		{
			name:  "no-commit-yet",
			setup: func(t *testing.T, root string) string { return newRepo(t, root, 0) },
		},
		{
			name:  "outside-repository",
			setup: func(t *testing.T, root string) string { return root },
		},
		{
			name: "dir-does-not-exist",
			setup: func(t *testing.T, root string) string {
				newRepo(t, root, 1)
				return filepath.Join(root, "missing")
			},
		},
		{
			name: "corrupt-head",
			setup: func(t *testing.T, root string) string {
				newRepo(t, root, 1)
				if err := os.WriteFile(filepath.Join(root, ".git", "HEAD"), []byte("0123abc\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return root
			},
		},
		{
			name: "broken-gitdir-file",
			setup: func(t *testing.T, root string) string {
				if err := os.WriteFile(filepath.Join(root, ".git"), []byte("gitdir: nowhere\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return root
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t, t.TempDir())
			want := revParse(dir)
			if (want != "") != tt.wantOK {
				t.Fatalf("git rev-parse HEAD in %s = %q, but the case wants ok=%v", dir, want, tt.wantOK)
			}
			got, ok := config.GitCommit(dir)
			if got != want || ok != tt.wantOK {
				t.Errorf("GitCommit(%s) = %q, %v, want %q, %v", dir, got, ok, want, tt.wantOK)
			}
		})
	}
}
