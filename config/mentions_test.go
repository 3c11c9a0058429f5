package config

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestMentions checks the cheap look into a configuration that roost plan
// takes before loading it: the files Load reads, words found or not, and
// a directory that cannot be listed counting as a mention.
func TestMentions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.hcl", "unikernel \"web\" {\n  image = \"web.hvt\"\n}\n")
	write("main.hcl~", "roost { dbdir = \"/srv\" }\n") // an editor's backup: not read
	write("notes.txt", "unikernel_uids\n")
	if Mentions(dir, "dbdir", "unikernel_uids") {
		t.Error("Mentions found a word only files Load skips hold")
	}
	write("roost.hcl", "roost {\n  dbdir = var.where\n}\n")
	if !Mentions(dir, "unikernel_uids", "dbdir") {
		t.Error("Mentions missed dbdir in roost.hcl")
	}
	if Mentions(dir, "unikernel_uids") {
		t.Error("Mentions found unikernel_uids, which no file holds")
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.hcl"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !Mentions(dir, "unikernel_uids") {
		t.Error("Mentions of a directory with a file it cannot read = false, want true")
	}
	if !Mentions(filepath.Join(dir, "missing"), "dbdir") {
		t.Error("Mentions of a missing directory = false, want true")
	}
}
