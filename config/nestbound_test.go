package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// exactNesting is checkNesting without the shortcut through shallow.
func exactNesting(src []byte, expr bool) *hcl.Diagnostic {
	return checkNestingTokens(src, "a.hcl", hcl.InitialPos, expr)
}

// boundSeeds are inputs on both sides of the limit, and the constructs
// where a byte scanner could part from hcl's: strings, escapes, comments,
// heredocs, templates.
func boundSeeds() []string {
	seeds := []string{
		"a = " + nest("(", "1", ")", MaxNesting) + "\n",
		"a = " + nest("(", "1", ")", MaxNesting+1) + "\n",
		"a = " + nest(`"${`, "1", `}"`, MaxNesting/2) + "\n",
		"a = " + nest(`"${`, "1", `}"`, MaxNesting/2+1) + "\n",
		"a = <<EOT\n" + nest("${", "1", "}", MaxNesting) + "\nEOT\n",
		"a = <<-EOT\n  x ${ (1) }\n  EOT\n",
		"a = <<EOT\n  EOT\n" + nest("(", "1", ")", MaxNesting+1) + "\nEOT\n",
		"a = <<EOT\nEOT)" + nest("(", "1", ")", MaxNesting+1) + "\n",
		"a = \"x\\\"" + nest("(", "1", ")", MaxNesting+1) + "\"\n",
		"a = \"x\\\n" + nest("(", "1", ")", MaxNesting+1) + "\n",
		"a = \"unterminated\n" + nest("(", "1", ")", MaxNesting+1) + "\n",
		"# ))))\na = " + nest("(", "1", ")", MaxNesting+1) + "\n",
		"/* ] */ a = " + nest("[", "1", "]", MaxNesting+1) + "\n",
		"/* a = " + nest("[", "1", "]", MaxNesting+1) + "\n",
		"a = \"$${" + nest("(", "1", ")", MaxNesting+1) + "}\"\n",
		"a = \"$$${" + nest("(", "1", ")", MaxNesting+1) + "}\"\n",
		"a = \"%{ if true }" + nest("(", "1", ")", 10) + "%{ endif }\"\n",
		"a = " + strings.Repeat("-", MaxNesting) + "1\n",
		"a = " + strings.Repeat("- /**/", MaxNesting+1) + "1\n",
		"a = " + strings.Repeat("!\n", MaxNesting+1) + "true\n",
		"a = " + strings.Repeat("x ? 1 : ", MaxNesting+1) + "1\n",
		"a = [" + strings.Repeat("x ? 1 : 2, ", 300) + "]\n",
		"b {\n  c = \"${upper(\"x\")}\"\n  d = [for x in [1, 2] : x * 2 if x != 1]\n}\n",
		"a = { for k, v in {a = 1} : k => v... }\n",
		"a = 1e-5 - -1\n",
		"a = \"}}}}\"" + nest("{", "", "}", MaxNesting+1) + "\n",
		// Found by a second reader: hcl trims every kind of space
		// around a heredoc's marker; a ${ sequence ends at the first }
		// that closes no { of its own; ~} ends a sequence anywhere.
		"a = <<EOT\n\vEOT\nb = " + nest("(", "1", ")", MaxNesting+1) + "\nEOT\n",
		"a = <<EOT\n\fEOT\nb = " + nest("(", "1", ")", MaxNesting+1) + "\nEOT\n",
		"a = <<EOT\n\u00a0EOT\nb = " + nest("(", "1", ")", MaxNesting+1) + "\nEOT\n",
		"a = <<EOT\n\u0085EOT\nb = " + nest("(", "1", ")", MaxNesting+1) + "\nEOT\n",
		"a = \"${(}\" " + strings.Repeat("(", MaxNesting+1) + " \")}\" " + strings.Repeat(")", MaxNesting+1) + "\n",
		"a = " + strings.Repeat("{~}", MaxNesting+1) + "\n",
	}
	for _, open := range []string{"(", "[", "{", "\"${", "${"} {
		for _, close := range []string{")", "]", "}", "}\"", "\""} {
			seeds = append(seeds, "a = "+nest(open, "x", close, MaxNesting+1)+"\n")
		}
	}
	return seeds
}

// TestShallowIsABound checks that shallow never passes what checkNesting
// refuses, on the seeds, the examples and testdata, in both modes.
func TestShallowIsABound(t *testing.T) {
	srcs := boundSeeds()
	files, _ := filepath.Glob("../examples/*/*.hcl")
	more, _ := filepath.Glob("testdata/*/*.hcl")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, string(b))
	}
	for i, src := range srcs {
		for _, expr := range []bool{false, true} {
			if shallow([]byte(src)) && exactNesting([]byte(src), expr) != nil {
				t.Errorf("input %d (expr %v): shallow, but checkNesting refuses it:\n%.300s", i, expr, src)
			}
		}
	}
}

// TestShallowTakesTheUsualFiles checks that the shortcut applies where it
// is worth it: a fleet of a thousand unikernels with templates, heredocs
// and comments, and the examples; and not where the limit is crossed.
func TestShallowTakesTheUsualFiles(t *testing.T) {
	var b strings.Builder
	b.WriteString("# a fleet\nbridge \"fleet\" {\n  addresses = [\"10.1.0.1/16\"] // the gateway\n}\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "unikernel \"u%d\" {\n  image  = \"u.hvt\"\n  memory = var.mem > 8 ? var.mem : 8\n  argv   = [\"--ipv4=${cidrhost(\"10.1.0.0/16\", %d)}/16\", <<-EOT\n    --name=${upper(\"u%d\")}\n    EOT\n  ]\n  /* one net */\n  net \"service\" { bridge = \"fleet\" }\n}\n", i, i+2, i)
	}
	if !shallow([]byte(b.String())) {
		t.Error("shallow(fleet of 1,000) = false, want true")
	}
	files, _ := filepath.Glob("../examples/*/*.hcl")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !shallow(src) {
			t.Errorf("shallow(%s) = false, want true", f)
		}
	}
	if shallow([]byte("a = " + nest("(", "1", ")", MaxNesting+1) + "\n")) {
		t.Error("shallow(beyond the limit) = true")
	}
}

// FuzzShallowIsABound: whatever shallow passes, checkNesting passes.
func FuzzShallowIsABound(f *testing.F) {
	for _, s := range boundSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if !shallow([]byte(src)) {
			return
		}
		for _, expr := range []bool{false, true} {
			if d := exactNesting([]byte(src), expr); d != nil {
				t.Fatalf("shallow, but checkNesting (expr %v) refuses it at %s", expr, d.Subject)
			}
		}
	})
}
