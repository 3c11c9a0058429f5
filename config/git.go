package config

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/roostd/roost/internal/regfile"
)

// maxSymrefDepth bounds how many symbolic refs GitCommit follows from HEAD
// (git's own limit, SYMREF_MAXDEPTH, is 5).
const maxSymrefDepth = 5

// GitCommit returns the commit checked out in the git work tree that
// contains dir, so that roost can say which revision of a configuration it
// applied. It reads the repository's files and runs no git: it walks up
// from dir to the nearest .git, which is a directory or, in linked
// worktrees and submodules, a file "gitdir: PATH" (a relative PATH is
// relative to the file's directory). It reads HEAD there and resolves a
// branch through its loose ref file or packed-refs, in the common
// directory of a linked worktree. A detached HEAD is the commit itself.
// Each file is read through regfile: a named pipe or a device planted as
// .git/HEAD neither hangs nor exhausts roost, it only makes ok false.
//
// The commit is 40 hex digits, or 64 in a SHA-256 repository. ok is false
// when dir is in no work tree, the branch has no commit yet, or anything
// is unreadable or unexpected; repositories with the reftable ref format
// are among them.
func GitCommit(dir string) (commit string, ok bool) {
	gitDir, ok := findGitDir(dir)
	if !ok {
		return "", false
	}
	commonDir := gitDir
	if b, err := regfile.ReadFile(filepath.Join(gitDir, "commondir"), maxGitFile); err == nil {
		commonDir = resolveFrom(gitDir, strings.TrimSpace(string(b)))
	}
	b, err := regfile.ReadFile(filepath.Join(gitDir, "HEAD"), maxGitFile)
	if err != nil {
		return "", false
	}
	head := strings.TrimSpace(string(b))
	for range maxSymrefDepth + 1 {
		ref, isSym := strings.CutPrefix(head, "ref:")
		if !isSym {
			if !isHash(head) {
				return "", false
			}
			return head, true
		}
		ref = strings.TrimSpace(ref)
		if !validRef(ref) {
			return "", false
		}
		var ok bool
		if head, ok = readRef(gitDir, commonDir, ref); !ok {
			return "", false
		}
	}
	return "", false
}

// findGitDir walks up from dir to the nearest .git and returns the git
// directory it is or names.
func findGitDir(dir string) (string, bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", false
	}
	for {
		dotGit := filepath.Join(dir, ".git")
		fi, err := os.Stat(dotGit)
		switch {
		case err == nil && fi.IsDir():
			return dotGit, true
		case err == nil:
			b, err := regfile.ReadFile(dotGit, maxGitFile)
			if err != nil {
				return "", false
			}
			path, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir:")
			if !ok {
				return "", false
			}
			return resolveFrom(dir, strings.TrimSpace(path)), true
		case !os.IsNotExist(err):
			// The nearest .git is the repository, even when it cannot be
			// read; a repository further up is not dir's.
			return "", false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// resolveFrom resolves path against dir unless it is absolute.
func resolveFrom(dir, path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(dir, path)
}

// readRef returns the contents of a ref, a hash or "ref: NAME": the loose
// ref file first, then packed-refs. Refs private to a worktree (see
// gitrepository-layout(5)) live in its own git directory, the rest in the
// common directory.
func readRef(gitDir, commonDir, ref string) (string, bool) {
	dir := commonDir
	for _, p := range []string{"refs/worktree/", "refs/bisect/", "refs/rewritten/"} {
		if strings.HasPrefix(ref, p) {
			dir = gitDir
		}
	}
	b, err := regfile.ReadFile(filepath.Join(dir, filepath.FromSlash(ref)), maxGitFile)
	if err == nil {
		return strings.TrimSpace(string(b)), true
	}
	if !os.IsNotExist(err) {
		return "", false
	}
	return packedRef(filepath.Join(dir, "packed-refs"), ref)
}

// packedRef looks ref up in a packed-refs file: a "# pack-refs with:"
// header, then lines "HASH NAME", each possibly followed by "^HASH", the
// commit an annotated tag peels to.
func packedRef(path, ref string) (string, bool) {
	b, err := regfile.ReadFile(path, maxGitFile)
	if err != nil {
		return "", false
	}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' || line[0] == '^' {
			continue
		}
		hash, name, ok := strings.Cut(line, " ")
		if ok && name == ref {
			return hash, true
		}
	}
	return "", false
}

// validRef reports whether ref names a file under refs/ and cannot climb
// out of the git directory.
func validRef(ref string) bool {
	if !strings.HasPrefix(ref, "refs/") || strings.Contains(ref, `\`) {
		return false
	}
	for _, elem := range strings.Split(ref, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
	}
	return true
}

// isHash reports whether s is a SHA-1 or SHA-256 object name in lowercase
// hex, as git writes them.
func isHash(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
