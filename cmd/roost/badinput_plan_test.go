package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roostd/roost/internal/solo5test"
	"golang.org/x/sys/unix"
)

// The bad-input catalogue's share of plans and plan files (issue 8, "the
// harness"): bad command lines and saved plan files, each with the exact
// message and exit code (1 for each), and the fake host unchanged
// afterwards. Cases are named "plan-file/..." and "flags/..."; count them
// with
//
//	go test -run 'TestBadInputPlan$' -v ./cmd/roost | grep -c -- '--- PASS: TestBadInputPlan/'

const badInputBefore = `block "keep" {
  size = 1
}
unikernel "u-a" {
  image = "images/u.hvt"
}
unikernel "u-b" {
  image  = "images/u.hvt"
  memory = 32
}
`

// badInputAfter drops block keep (retained) and changes u-b's memory (a
// replacement), so a saved plan of it has a change, a retained block, and
// options that matter.
const badInputAfter = `variable "mem" {
  default = 64
}
unikernel "u-a" {
  image = "images/u.hvt"
}
unikernel "u-b" {
  image  = "images/u.hvt"
  memory = var.mem
}
`

type badInputCase struct {
	name string
	// prepare changes the work directory w (holding the plan file p)
	// before the command runs.
	prepare func(t *testing.T, w string)
	args    []string // $WORK is replaced by the work directory
	env     map[string]string
	stderr  string // exact, with $WORK for the work directory
	// lastLine compares only the last line of stderr (after a usage
	// text).
	lastLine bool
}

// edit returns a prepare that sets the dotted path of p's JSON to value
// (a JSON text), or deletes it when value is "".
func edit(path, value string) func(t *testing.T, w string) {
	return func(t *testing.T, w string) {
		p := filepath.Join(w, "p")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var v *string
		if value != "" {
			v = &value
		}
		if b, err = editJSON(b, path, v); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func writeP(content string) func(t *testing.T, w string) {
	return func(t *testing.T, w string) {
		if err := os.WriteFile(filepath.Join(w, "p"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

const staleOptions = "roost: plan is stale: the options in plan file $WORK/p (dir, dbdir, vars, var_files, targets, replace, allow_data_loss, destroy) were changed since roost plan wrote it; run roost plan again"

var badInputPlanCases = []badInputCase{
	// Plan files that are not plan files, or not whole ones.
	{name: "plan-file/missing-plan", prepare: writeP(`{"kind":"roost-plan","format_version":"1","dir":"/nonexistent"}`),
		stderr: `roost: plan file $WORK/p: field "plan" is missing`},
	{name: "plan-file/wrong-kind", prepare: edit("kind", `"terraform"`),
		stderr: `roost: $WORK/p is neither a directory nor a plan file written by roost plan -out (its kind is "terraform", not "roost-plan"): not a plan file written by roost plan -out`},
	{name: "plan-file/kind-missing", prepare: edit("kind", ""),
		stderr: `roost: $WORK/p is neither a directory nor a plan file written by roost plan -out (its kind is missing, not "roost-plan"): not a plan file written by roost plan -out`},
	{name: "plan-file/kind-number", prepare: edit("kind", `7`),
		stderr: `roost: $WORK/p is neither a directory nor a plan file written by roost plan -out (its kind is a number, not "roost-plan"): not a plan file written by roost plan -out`},
	{name: "plan-file/wrong-version", prepare: edit("format_version", `"0"`),
		stderr: `roost: plan file $WORK/p has format version "0"; this roost reads "1"`},
	{name: "plan-file/version-number", prepare: edit("format_version", `1`),
		stderr: `roost: plan file $WORK/p has format version a number; this roost reads "1"`},
	{name: "plan-file/truncated", prepare: func(t *testing.T, w string) {
		p := filepath.Join(w, "p")
		b, _ := os.ReadFile(p)
		os.WriteFile(p, b[:40], 0o600)
	}, stderr: `roost: plan file $WORK/p: invalid JSON at line 3, column 14: unexpected end of JSON input: not a plan file written by roost plan -out`},
	{name: "plan-file/empty", prepare: writeP(""),
		stderr: `roost: $WORK/p is neither a directory nor a plan file written by roost plan -out: not a plan file written by roost plan -out`},
	{name: "plan-file/hcl", prepare: writeP("block \"data\" {}\n"),
		stderr: `roost: $WORK/p is neither a directory nor a plan file written by roost plan -out: not a plan file written by roost plan -out`},
	{name: "plan-file/json-array", prepare: writeP(`[1,2]`),
		stderr: `roost: $WORK/p is neither a directory nor a plan file written by roost plan -out (not a JSON object): not a plan file written by roost plan -out`},
	{name: "plan-file/fifo", prepare: func(t *testing.T, w string) {
		p := filepath.Join(w, "p")
		os.Remove(p)
		if err := unix.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}, stderr: `roost: plan file $WORK/p is not a regular file (a named pipe)`},
	{name: "plan-file/huge", prepare: func(t *testing.T, w string) {
		if err := os.Truncate(filepath.Join(w, "p"), 64<<20+1); err != nil {
			t.Fatal(err)
		}
	}, stderr: `roost: plan file $WORK/p is 67108865 bytes, more than the 64 MiB a plan file may have`},
	{name: "plan-file/unreadable", prepare: func(t *testing.T, w string) {
		if os.Geteuid() == 0 {
			t.Skip("root reads a mode 0000 file")
		}
		os.Chmod(filepath.Join(w, "p"), 0)
	}, stderr: `roost: open plan file $WORK/p: permission denied`},
	{name: "plan-file/missing-directory", args: []string{"apply", "$WORK/nosuch"},
		stderr: "Error: Cannot read configuration directory\n\nReading $WORK/nosuch:\nno such file or directory.\n\nroost: invalid configuration in $WORK/nosuch: 1 error"},
	{name: "plan-file/options-digest-missing", prepare: edit("options_digest", ""),
		stderr: `roost: plan file $WORK/p: field "options_digest" is missing (a plan file of an older roost?); run roost plan again`},
	{name: "plan-file/unknown-field", prepare: edit("allow_dataloss", `true`),
		stderr: `roost: plan file $WORK/p: unknown field "allow_dataloss"; roost plan writes no such field`},
	{name: "plan-file/allow-data-loss-string", prepare: edit("allow_data_loss", `"yes"`),
		stderr: `roost: plan file $WORK/p: field "allow_data_loss" holds a JSON string, want true or false`},
	{name: "plan-file/targets-string", prepare: edit("targets", `"u-a"`),
		stderr: `roost: plan file $WORK/p: field "targets" holds a JSON string, want a list`},
	{name: "plan-file/plan-string", prepare: edit("plan", `"all"`),
		stderr: `roost: plan file $WORK/p: field "plan" holds a JSON string, want an object`},
	{name: "plan-file/dir-relative", prepare: edit("dir", `"cfg"`),
		stderr: `roost: plan file $WORK/p: field "dir" is "cfg", not an absolute path`},
	{name: "plan-file/dbdir-empty", prepare: edit("dbdir", `""`),
		stderr: `roost: plan file $WORK/p: field "dbdir" is missing or empty`},
	{name: "plan-file/created-at-garbage", prepare: edit("created_at", `"yesterday"`),
		stderr: `roost: plan file $WORK/p: field "created_at" is "yesterday", not an RFC 3339 time`},
	{name: "plan-file/vars-not-assignment", prepare: edit("vars", `["mem"]`),
		stderr: `roost: plan file $WORK/p: field "vars": entry 0 is "mem", not name=value`},
	{name: "plan-file/changes-null", prepare: edit("plan.changes", `null`),
		stderr: `roost: plan file $WORK/p: field "plan.changes" is missing`},
	{name: "plan-file/plan-version", prepare: edit("plan.format_version", `"2"`),
		stderr: `roost: plan file $WORK/p: field "plan.format_version" is "2"; this roost reads "1"`},
	{name: "plan-file/change-address", prepare: edit("plan.changes.0.address", `"unikernel.u-a"`),
		stderr: `roost: plan file $WORK/p: field "plan.changes[0].address" is "unikernel.u-a", not kind.name ("unikernel.u-b")`},
	{name: "plan-file/change-action", prepare: edit("plan.changes.0.action", `"explode"`),
		stderr: `roost: plan file $WORK/p: field "plan.changes[0].action" of unikernel.u-b is "explode", not one of create, start, update, replace, delete, move`},
	{name: "plan-file/change-twice", prepare: edit("plan.changes", `[{"address":"block.keep","kind":"block","name":"keep","action":"delete"},{"address":"block.keep","kind":"block","name":"keep","action":"delete"}]`),
		stderr: `roost: plan file $WORK/p: field "plan.changes[1]": block.keep is changed twice`},
	{name: "plan-file/problems", prepare: edit("plan.problems", `[{"resource":"host","message":"x"}]`),
		stderr: `roost: plan file $WORK/p: field "plan.problems" lists 1 problems; roost plan saves no plan with problems`},
	{name: "plan-file/destroy-disagrees", prepare: edit("destroy", `true`),
		stderr: `roost: plan file $WORK/p: field "plan.destroy" is false but "destroy" is true`},

	// Edited options: refused by their digest, before anything is read.
	{name: "plan-file/edited-allow-data-loss", prepare: edit("allow_data_loss", `true`), stderr: staleOptions},
	{name: "plan-file/edited-targets", prepare: edit("targets", `["u-a"]`), stderr: staleOptions},
	{name: "plan-file/edited-replace", prepare: edit("replace", `["u-a"]`), stderr: staleOptions},
	{name: "plan-file/edited-vars", prepare: edit("vars", `["mem=128"]`), stderr: staleOptions},
	{name: "plan-file/edited-var-files", prepare: edit("var_files", `["/etc/passwd"]`), stderr: staleOptions},
	{name: "plan-file/edited-dir", prepare: edit("dir", `"/etc"`), stderr: staleOptions},
	{name: "plan-file/another-dbdir", prepare: edit("dbdir", `"/var/lib/roost"`), stderr: staleOptions},
	{name: "plan-file/edited-destroy", prepare: func(t *testing.T, w string) {
		edit("destroy", `true`)(t, w)
		edit("plan.destroy", `true`)(t, w)
	}, stderr: staleOptions},

	// Edited plans: the plan made again differs from the saved one.
	{name: "plan-file/edited-change-action", prepare: edit("plan.changes.0.action", `"update"`),
		stderr: "roost: plan is stale: the saved plan would update unikernel.u-b, the plan made again would replace it; run roost plan again"},
	{name: "plan-file/change-removed", prepare: edit("plan.changes", `[]`),
		stderr: "roost: plan is stale: the plan made again would replace unikernel.u-b, which the saved plan does not; run roost plan again"},
	{name: "plan-file/change-added", prepare: edit("plan.changes", `[{"address":"block.keep","kind":"block","name":"keep","action":"delete"},{"address":"unikernel.u-b","kind":"unikernel","name":"u-b","action":"replace","fields":[{"name":"memory","before":"32 MiB","after":"64 MiB","forces_replacement":true}]}]`),
		stderr: "roost: plan is stale: the saved plan would delete block.keep, which the plan made again does not; run roost plan again"},
	{name: "plan-file/edited-field", prepare: edit("plan.changes.0.fields.0.after", `"16 MiB"`),
		stderr: `roost: plan is stale: the fields that change of unikernel.u-b differ: saved memory "32 MiB" -> "16 MiB", made again memory "32 MiB" -> "64 MiB"; run roost plan again`},
	{name: "plan-file/edited-config-fingerprint", prepare: edit("plan.config_fingerprint", `"x"`),
		stderr: "roost: plan is stale: the configuration in $WORK changed since the plan was made (CREATED); run roost plan again"},
	{name: "plan-file/edited-host-fingerprint", prepare: edit("plan.host_fingerprint", `"x"`),
		stderr: "roost: plan is stale: the host changed since the plan was made (CREATED); run roost plan again"},
	{name: "plan-file/config-changed", prepare: func(t *testing.T, w string) {
		os.WriteFile(filepath.Join(w, "main.hcl"), []byte(badInputBefore), 0o644)
	}, stderr: "roost: plan is stale: the configuration in $WORK changed since the plan was made (CREATED); run roost plan again"},

	// Flags beside a plan file.
	{name: "flags/target-beside-plan-file", args: []string{"apply", "$WORK/p", "-target", "u-a"},
		stderr: "roost: -target cannot be used with a saved plan file: the plan already says what it targets (run roost plan again with it)"},
	{name: "flags/replace-beside-plan-file", args: []string{"apply", "-replace", "u-a", "$WORK/p"},
		stderr: "roost: -replace cannot be used with a saved plan file: the plan already says what it replaces (run roost plan again with it)"},
	{name: "flags/allow-data-loss-beside-plan-file", args: []string{"apply", "$WORK/p", "-allow-data-loss"},
		stderr: "roost: -allow-data-loss cannot be used with a saved plan file: the plan already says whether it may delete data (run roost plan again with it)"},
	{name: "flags/var-beside-plan-file", args: []string{"apply", "$WORK/p", "-var", "mem=128"},
		stderr: "roost: -var cannot be used with a saved plan file: the plan was made with the variables it records (run roost plan again with it)"},
	{name: "flags/var-file-beside-plan-file", args: []string{"apply", "$WORK/p", "-var-file", "$WORK/vars/v.hcl"},
		stderr: "roost: -var-file cannot be used with a saved plan file: the plan was made with the variable files it records (run roost plan again with it)"},
	{name: "flags/dbdir-beside-plan-file", args: []string{"-dbdir", "$WORK/other", "apply", "$WORK/p"},
		stderr: "roost: plan file $WORK/p was made for the data directory $WORK/dbdir, not $WORK/other (-dbdir); run roost plan again for that one"},
	{name: "flags/env-dbdir-beside-plan-file", env: map[string]string{"ROOST_DBDIR": "$WORK/other"},
		stderr: "roost: plan file $WORK/p was made for the data directory $WORK/dbdir, not $WORK/other ($ROOST_DBDIR); run roost plan again for that one"},
	{name: "flags/parallelism-zero-beside-plan-file", args: []string{"apply", "$WORK/p", "-parallelism", "0"},
		stderr: "roost: -parallelism is 0; it must be at least 1"},
	{name: "flags/plan-file-and-directory", args: []string{"apply", "$WORK/p", "$WORK"},
		stderr: `roost: too many arguments ["$WORK/p" "$WORK"]; give one directory`},

	// Bad command lines without a plan file.
	{name: "flags/parallelism-negative", args: []string{"apply", "-auto-approve", "-parallelism", "-3", "$WORK"},
		stderr: "roost: -parallelism is -3; it must be at least 1"},
	{name: "flags/destroy-parallelism-zero", args: []string{"destroy", "-auto-approve", "-parallelism", "0", "$WORK"},
		stderr: "roost: -parallelism is 0; it must be at least 1"},
	{name: "flags/lock-timeout-negative", args: []string{"plan", "-lock-timeout", "-1s", "$WORK"},
		stderr: "roost: -lock-timeout is -1s; it must not be negative"},
	{name: "flags/target-unknown", args: []string{"plan", "-target", "nosuch", "$WORK"},
		stderr: "Error: -target: \"nosuch\" names no resource of the configuration or the host\nroost: the host cannot run this configuration: 1 problem"},
	{name: "flags/replace-unknown", args: []string{"apply", "-auto-approve", "-replace", "nosuch", "$WORK"},
		stderr: "Error: -replace: no declared unikernel \"nosuch\" to replace\nroost: the host cannot run this configuration: 1 problem; nothing was changed"},
	{name: "flags/replace-outside-target", args: []string{"apply", "-auto-approve", "-target", "u-a", "-replace", "u-b", "$WORK"},
		stderr: "Error: -replace: \"u-b\" is not among the -target resources or what they depend on, so it would not be replaced; add -target u-b\nroost: the host cannot run this configuration: 1 problem; nothing was changed"},
	{name: "flags/apply-without-approval", args: []string{"apply", "$WORK"},
		stderr: "roost: standard input is not a terminal, so roost cannot ask for approval; review the plan and pass -auto-approve"},
	{name: "flags/parallelism-not-a-number", args: []string{"apply", "-parallelism", "many", "$WORK"},
		stderr: "roost: invalid value \"many\" for flag -parallelism: parse error", lastLine: true},
}

func TestBadInputPlan(t *testing.T) {
	for _, tc := range badInputPlanCases {
		t.Run(tc.name, func(t *testing.T) {
			w := t.TempDir()
			t.Setenv("ROOST_DBDIR", filepath.Join(w, "dbdir"))
			t.Setenv("NO_COLOR", "1")
			if err := solo5test.Write(filepath.Join(w, "images/u.hvt"), solo5test.Spec{}); err != nil {
				t.Fatal(err)
			}
			os.Mkdir(filepath.Join(w, "vars"), 0o755)
			os.WriteFile(filepath.Join(w, "vars/v.hcl"), []byte("mem = 128\n"), 0o644)
			os.WriteFile(filepath.Join(w, "main.hcl"), []byte(badInputBefore), 0o644)
			roost(t, 0, "apply", "-auto-approve", w)
			os.WriteFile(filepath.Join(w, "main.hcl"), []byte(badInputAfter), 0o644)
			roost(t, 0, "plan", "-out", filepath.Join(w, "p"), w)
			if tc.prepare != nil {
				tc.prepare(t, w)
			}
			before := fakeHostState(t, w)
			args := tc.args
			if args == nil {
				args = []string{"apply", "$WORK/p"}
			}
			for k, v := range tc.env {
				t.Setenv(k, strings.ReplaceAll(v, "$WORK", w))
			}
			var expanded []string
			for _, a := range args {
				expanded = append(expanded, strings.ReplaceAll(a, "$WORK", w))
			}
			_, stderr := roost(t, 1, expanded...)
			want := strings.ReplaceAll(tc.stderr, "$WORK", w)
			if strings.Contains(want, "CREATED") {
				want = strings.ReplaceAll(want, "CREATED", createdAt(t, w))
			}
			got := strings.TrimSpace(stderr)
			if tc.lastLine {
				got = got[strings.LastIndexByte(got, '\n')+1:]
			}
			// Diagnostics wrap at a fixed width, so where a line breaks
			// depends on how long the test's directory is: compare the
			// words, not the lines.
			if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
				t.Errorf("roost %s: stderr\n%s\nwant\n%s", strings.Join(args, " "), got, want)
			}
			if after := fakeHostState(t, w); !bytes.Equal(before, after) {
				t.Errorf("roost %s changed the fake host:\nbefore %s\nafter %s", strings.Join(args, " "), before, after)
			}
		})
	}
}

// roost runs roost on the fake host and checks its exit code.
func roost(t *testing.T, code int, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	got := mainHost(context.Background(), newFakeHost, args, strings.NewReader(""), &out, &errb)
	if got != code {
		t.Fatalf("roost %s exited %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// fakeHostState is the fake host's state file of work directory w, which
// every operation on the host changes (its transcript at least).
func fakeHostState(t *testing.T, w string) []byte {
	b, err := os.ReadFile(fakeStatePath(filepath.Join(w, "dbdir")))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func createdAt(t *testing.T, w string) string {
	b, _ := os.ReadFile(filepath.Join(w, "p"))
	var f struct {
		CreatedAt string `json:"created_at"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.CreatedAt
}
