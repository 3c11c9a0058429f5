package config

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// nest returns open n times, then inner, then close n times.
func nest(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// TestCheckNesting checks that every construct hcl's parser recurses on is
// bounded (issue 8, finding 10: 100000 parentheses overflowed the stack),
// and that nesting up to the limit is left to the parser.
func TestCheckNesting(t *testing.T) {
	deep := 20000
	tests := []struct {
		name string
		src  string
		expr bool
		// wantLine is the line of the diagnostic; 0: none.
		wantLine int
	}{
		{"parens", "a = " + nest("(", "1", ")", deep) + "\n", false, 1},
		{"brackets", "a = " + nest("[", "1", "]", deep) + "\n", false, 1},
		{"object-braces", "a = " + nest("{a = ", "1", "}", deep) + "\n", false, 1},
		{"blocks", nest("b {\n", "", "}\n", deep), false, MaxNesting + 1},
		{"function-calls", "a = " + nest("max(", "1", ")", deep) + "\n", false, 1},
		{"index", "a = " + nest("x[", "0", "]", deep) + "\n", false, 1},
		{"template-interp", "a = " + nest(`"${`, "1", `}"`, deep) + "\n", false, 1},
		{"template-if", "a = \"" + nest("%{ if true }", "x", "%{ endif }", deep) + "\"\n", false, 1},
		{"template-if-comment", "a = \"" + nest("%{ /* c */ if true }", "x", "%{ endif }", deep) + "\"\n", false, 1},
		{"template-for", "a = \"" + nest("%{ for x in [1] }", "x", "%{ endfor }", deep) + "\"\n", false, 1},
		{"heredoc", "a = <<EOT\n" + nest("${", "1", "}", deep) + "\nEOT\n", false, 2},
		{"unary-minus", "a = " + strings.Repeat("-", deep) + "1\n", false, 1},
		{"unary-not", "a = " + strings.Repeat("!", deep) + "true\n", false, 1},
		{"unary-minus-comments", "a = " + strings.Repeat("- /**/ ", deep) + "1\n", false, 1},
		{"unary-minus-line-comments", "a = (" + strings.Repeat("- # c\n", deep) + "1)\n", false, MaxNesting},
		{"unary-not-newlines", "a = (" + strings.Repeat("!\n", deep) + "true)\n", false, MaxNesting},
		{"conditionals", "a = " + strings.Repeat("x ? 1 : ", deep) + "1\n", false, 1},
		{"for-expressions", "a = " + nest("[for x in ", "[1]", " : x]", deep) + "\n", false, 1},
		{"type-constraint", "variable \"v\" {\n  type = " + nest("list(", "string", ")", deep) + "\n}\n", false, 2},
		{"expression", nest("(", "1", ")", deep), true, 1},
		{"closers-first", strings.Repeat(")", deep) + "a = " + nest("(", "1", ")", deep) + "\n", false, 1},
		{"in-string-not-counted", "a = \"" + strings.Repeat("(", deep) + "\"\n", false, 0},
		{"in-comment-not-counted", "# " + strings.Repeat("[", deep) + "\na = 1\n", false, 0},
		{"at-limit", "a = " + nest("(", "1", ")", MaxNesting) + "\n", false, 0},
		{"beyond-limit", "a = " + nest("(", "1", ")", MaxNesting+1) + "\n", false, 1},
		{"many-conditionals-in-a-list", "a = [" + strings.Repeat("x ? 1 : 2, ", 1000) + "]\n", false, 0},
		{"many-attributes", strings.Repeat("a = x ? 1 : 2\n", 1000), false, 0},
		{"many-negations", "a = " + strings.Repeat("1 - ", 10000) + "1\n", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := checkNesting([]byte(tt.src), "a.hcl", hcl.InitialPos, tt.expr)
			switch {
			case tt.wantLine == 0 && d != nil:
				t.Fatalf("checkNesting = %s at %s, want none", d.Summary, d.Subject)
			case tt.wantLine == 0:
				// What passes must parse without exhausting the stack.
				if tt.expr {
					hclsyntax.ParseExpression([]byte(tt.src), "a.hcl", hcl.InitialPos)
				} else {
					hclsyntax.ParseConfig([]byte(tt.src), "a.hcl", hcl.InitialPos)
				}
			case d == nil:
				t.Fatalf("checkNesting = nil, want a diagnostic at line %d", tt.wantLine)
			case d.Summary != "Nesting too deep" || d.Subject == nil || d.Subject.Filename != "a.hcl" || d.Subject.Start.Line != tt.wantLine:
				t.Fatalf("checkNesting = %q at %v, want \"Nesting too deep\" at a.hcl line %d", d.Summary, d.Subject, tt.wantLine)
			}
		})
	}
}

func TestJSONNesting(t *testing.T) {
	for s, want := range map[string]int{
		`1`:                      0,
		`[[1], {"a": [2]}]`:      3,
		`["[[[[", "\"[[["]`:      1,
		`]]]][[`:                 2,
		nest("[", "", "]", 1000): 1000,
	} {
		if got := jsonNesting(s); got != want {
			t.Errorf("jsonNesting(%.20q) = %d, want %d", s, got, want)
		}
	}
}
