package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roostd/roost/internal/solo5test"
)

// TestPlanHostileTender is the tender share of issue 8's bad-input
// catalogue: tenders that misbehave for --version. plan must answer at
// once (a hanging tender: plan_tender_hangs.txtar), exit 1 with the
// problem naming the tender and what it did, and leave the host as it was.
func TestPlanHostileTender(t *testing.T) {
	tests := []struct {
		name   string
		script string // "" : no tender at all
		mode   os.FileMode
		want   string // in stderr, TENDER for the tender's path
	}{
		{"garbage", "printf '\\001\\377garbage\\n'\n", 0o755,
			`run TENDER --version: no "ABI version N" line in its output "\x01\xffgarbage"`},
		{"exit-1", "echo 'solo5-hvt: unknown option' >&2\nexit 1\n", 0o755,
			`run TENDER --version: exit status 1 (it printed "solo5-hvt: unknown option")`},
		{"killed-by-signal", "kill -SEGV $$\n", 0o755,
			`run TENDER --version: signal: segmentation fault`},
		{"other-abi", "echo 'ABI version 9' >&2\n", 0o755,
			`TENDER speaks ABI version 9`},
		{"not-executable", "echo 'ABI version 2' >&2\n", 0o644,
			`no solo5-hvt.2 or solo5-hvt speaking ABI version 2 in DIR (TENDER is not executable)`},
		{"not-a-script", "\x7fELF garbage", 0o755,
			`run TENDER --version: fork/exec TENDER: exec format error`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := solo5test.Write(filepath.Join(dir, "images", "web.hvt"), solo5test.Spec{}); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte("unikernel \"web\" {\n  image = \"images/web.hvt\"\n}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			tenders := filepath.Join(dir, "tenders")
			tender := filepath.Join(tenders, "solo5-hvt")
			if err := os.MkdirAll(tenders, 0o755); err != nil {
				t.Fatal(err)
			}
			body := "#!/bin/sh\n" + tt.script
			if strings.HasPrefix(tt.script, "\x7fELF") {
				body = tt.script
			}
			if err := os.WriteFile(tender, []byte(body), tt.mode); err != nil {
				t.Fatal(err)
			}
			dbdir := filepath.Join(dir, "dbdir")
			if err := os.MkdirAll(dbdir, 0o700); err != nil {
				t.Fatal(err)
			}
			st := newFakeState()
			st.TenderDir = tenders
			statePath := fakeStatePath(dbdir)
			if err := st.save(statePath); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(statePath)
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := mainHost(context.Background(), newFakeHost, []string{"plan", "-dbdir", dbdir, dir}, strings.NewReader(""), &stdout, &stderr)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("roost plan took %v", took)
			}
			if code != 1 {
				t.Errorf("roost plan exit code = %d, want 1", code)
			}
			want := strings.NewReplacer("TENDER", tender, "DIR", tenders).Replace(tt.want)
			text := strings.Join(strings.Fields(stderr.String()), " ")
			if !strings.Contains(text, want) || !strings.Contains(text, "roost: the host cannot run this configuration: 1 problem") {
				t.Errorf("roost plan stderr:\n%s\nwant it to hold %q and the refusal", stderr.String(), want)
			}
			after, err := os.ReadFile(statePath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("plan changed the fake host:\nbefore %s\nafter %s", before, after)
			}
		})
	}
}
