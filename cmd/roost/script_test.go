package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/roostd/roost/internal/devnstest"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/solo5"
)

var update = flag.Bool("update", false, "rewrite testscript and golden files with the actual output")

func TestMain(m *testing.M) {
	// As root, the tests (and every roost and tender they start) run with
	// the /dev/kvm and /dev/net/tun that unprivileged tenders need. Not
	// in a roost the scripts start: testscript gives it an environment
	// of its own, without Reexec's mark, and it is in the namespace.
	if filepath.Base(os.Args[0]) != "roost" {
		if code, done := devnstest.Reexec(); done {
			os.Exit(code)
		}
	}
	testscript.Main(m, map[string]func(){
		"roost": func() { os.Exit(run(scriptHost)) },
	})
}

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("ROOST_DBDIR", env.WorkDir+"/dbdir")
			env.Setenv("NO_COLOR", "1")
			// roost runs on the fake host (fakehost_test.go), kept in
			// $ROOST_DBDIR/fakehost.json; a [root] script may empty this
			// to use the real one.
			env.Setenv("ROOST_FAKEHOST", "1")
			// testscript puts the directory holding the roost command
			// first in PATH; scripts that need a PATH without Solo5
			// tenders set PATH=$TESTBIN.
			env.Setenv("TESTBIN", filepath.SplitList(env.Getenv("PATH"))[0])
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkimage":      cmdMkimage,
			"exit-code":    cmdExitCode,
			"fakehost":     cmdFakehost,
			"mask":         cmdMask,
			"jsonset":      cmdJSONSet,
			"planredigest": cmdPlanRedigest,
			"procgone":     cmdProcGone,
			"mknested":     cmdMknested,
			"compress":     cmdCompress,
			"mksparse":     cmdMksparse,
		},
	})
}

// cmdMkimage writes a synthetic Solo5 image:
//
//	mkimage [-target hvt|spt] [-abi N] [-net NAME]... [-block NAME]... [-behaviour TEXT] FILE
func cmdMkimage(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! mkimage")
	}
	var spec solo5test.Spec
	for len(args) > 1 {
		switch args[0] {
		case "-target":
			t, ok := solo5.ParseTarget(args[1])
			if !ok {
				ts.Fatalf("mkimage: unknown target %q", args[1])
			}
			spec.Target = t
		case "-abi":
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			spec.ABIVersion = uint32(n)
		case "-net":
			spec.Devices = append(spec.Devices, solo5test.Net(args[1]))
		case "-block":
			spec.Devices = append(spec.Devices, solo5test.Block(args[1]))
		case "-behaviour":
			spec.Behaviour = args[1]
		default:
			ts.Fatalf("usage: mkimage [-target T] [-abi N] [-net NAME]... [-block NAME]... [-behaviour TEXT] FILE")
		}
		args = args[2:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: mkimage [-target T] [-abi N] [-net NAME]... [-block NAME]... [-behaviour TEXT] FILE")
	}
	ts.Check(solo5test.Write(ts.MkAbs(args[0]), spec))
}

// cmdExitCode runs a command and checks its exact exit status, which
// testscript's exec and ! exec cannot tell apart beyond zero and non-zero:
//
//	exit-code 3 roost fmt -check
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exit-code N COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("run %s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdMknested writes a configuration file whose local value nests N
// parentheses deep, on one line:
//
//	mknested N FILE
func cmdMknested(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mknested N FILE")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	src := "locals {\n  deep = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n}\n"
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(src), 0o644))
}
