package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roostd/roost/platform/datadir"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFollowConsoleAcrossRotation(t *testing.T) {
	dbdir := datadir.Dir(t.TempDir())
	if err := os.MkdirAll(dbdir.Unikernel("web"), 0o700); err != nil {
		t.Fatal(err)
	}
	appendLines := func(path string, lines ...string) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			f.WriteString("2026-11-27T09:00:00.000Z " + l + "\n")
		}
		f.Close()
	}
	console := dbdir.Console("web")
	appendLines(console, "old")
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- followConsole(ctx, &out, dbdir, "web", int64(len("2026-11-27T09:00:00.000Z old\n")), false)
	}()

	appendLines(console, "one", "two")
	time.Sleep(300 * time.Millisecond)
	// Lines written just before the rotation, then the rotation, then
	// lines in the new file.
	appendLines(console, "three")
	if err := os.Rename(console, dbdir.ConsoleRotated("web")); err != nil {
		t.Fatal(err)
	}
	appendLines(console, "four")
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(out.String(), "four") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "one\ntwo\nthree\nfour\n"; got != want {
		t.Errorf("followed %q, want %q", got, want)
	}
}
