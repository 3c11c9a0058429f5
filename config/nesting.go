package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// MaxNesting bounds how deeply the expressions, blocks and templates of a
// file may nest. hcl's parser recurses once per level, and a Go stack
// overflow is fatal, not a panic that could be recovered: 100000 nested
// parentheses killed roost, and roost watch with it (issue 8, finding 10).
// So each source is scanned before it is parsed, and one that nests deeper
// is refused with a diagnostic at the token where it crosses the limit.
const MaxNesting = 256

// nestFrame is one open level: the token that closes it, and the
// conditionals (a ? b : c ? d : ...) chained inside it so far, each of
// which the parser descends into.
type nestFrame struct {
	close     hclsyntax.TokenType
	ternaries int
}

// directiveEnd closes a template directive: %{ if } ... %{ endif }.
const directiveEnd hclsyntax.TokenType = 0

// checkNesting returns a diagnostic when src, a configuration file
// (expr false) or a lone expression (expr true), nests deeper than
// MaxNesting, or nil. It counts what makes hcl's parser recurse: ( [ {,
// quoted and heredoc templates, ${ and %{ sequences, %{ if } and %{ for }
// directives, runs of unary - and !, and conditionals chained in one
// expression. It uses hcl's own scanner, so strings and comments cannot
// hide a bracket or fake one; closers that match nothing open are
// ignored, which can only count more, never less.
func checkNesting(src []byte, filename string, start hcl.Pos, expr bool) *hcl.Diagnostic {
	if shallow(src) {
		return nil // surely within the limit: no need to lex it twice
	}
	return checkNestingTokens(src, filename, start, expr)
}

// checkNestingTokens is checkNesting by hcl's own scanner.
func checkNestingTokens(src []byte, filename string, start hcl.Pos, expr bool) *hcl.Diagnostic {
	var toks hclsyntax.Tokens
	if expr {
		toks, _ = hclsyntax.LexExpression(src, filename, start)
	} else {
		toks, _ = hclsyntax.LexConfig(src, filename, start)
	}
	var (
		frames  []nestFrame
		top     nestFrame // the file's own level, never popped
		extra   int       // ternaries of all frames and top
		unaries int       // the current run of - and !
	)
	cur := func() *nestFrame {
		if len(frames) == 0 {
			return &top
		}
		return &frames[len(frames)-1]
	}
	push := func(close hclsyntax.TokenType) { frames = append(frames, nestFrame{close: close}) }
	pop := func(close hclsyntax.TokenType) {
		if len(frames) > 0 && frames[len(frames)-1].close == close {
			extra -= frames[len(frames)-1].ternaries
			frames = frames[:len(frames)-1]
		}
	}
	for i, tok := range toks {
		switch tok.Type {
		case hclsyntax.TokenMinus, hclsyntax.TokenBang:
			unaries++
		case hclsyntax.TokenComment, hclsyntax.TokenNewline:
			// The parser does not see comments, nor newlines inside
			// brackets: "- /**/ - /**/ 1" recurses as "- - 1" does.
		default:
			unaries = 0
		}
		switch tok.Type {
		case hclsyntax.TokenOParen:
			push(hclsyntax.TokenCParen)
		case hclsyntax.TokenOBrack:
			push(hclsyntax.TokenCBrack)
		case hclsyntax.TokenOBrace:
			push(hclsyntax.TokenCBrace)
		case hclsyntax.TokenOQuote:
			push(hclsyntax.TokenCQuote)
		case hclsyntax.TokenOHeredoc:
			push(hclsyntax.TokenCHeredoc)
		case hclsyntax.TokenTemplateInterp:
			push(hclsyntax.TokenTemplateSeqEnd)
		case hclsyntax.TokenTemplateControl:
			switch directiveWord(toks[i+1:]) {
			case "if", "for":
				push(directiveEnd)
			case "endif", "endfor":
				pop(directiveEnd)
			}
			push(hclsyntax.TokenTemplateSeqEnd)
		case hclsyntax.TokenCParen, hclsyntax.TokenCBrack, hclsyntax.TokenCBrace,
			hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			pop(tok.Type)
		case hclsyntax.TokenQuestion:
			cur().ternaries++
			extra++
		case hclsyntax.TokenComma:
			extra -= cur().ternaries
			cur().ternaries = 0
		case hclsyntax.TokenNewline:
			if f := cur(); f.close == hclsyntax.TokenCBrace || f == &top {
				extra -= f.ternaries
				f.ternaries = 0
			}
		}
		if depth := len(frames) + extra + unaries; depth > MaxNesting {
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Nesting too deep",
				Detail: fmt.Sprintf("This nests more than %d levels deep, counting brackets, braces, parentheses, templates, unary operators and chained conditionals together. "+
					"roost refuses such input before parsing it, since parsing it could exhaust the stack; write it with less nesting.", MaxNesting),
				Subject: tok.Range.Ptr(),
			}
		}
	}
	return nil
}

// directiveWord is the keyword after a %{ (and its ~ strip marker), or "".
func directiveWord(toks hclsyntax.Tokens) string {
	for _, t := range toks {
		switch t.Type {
		case hclsyntax.TokenBitwiseNot, hclsyntax.TokenComment, hclsyntax.TokenNewline:
			continue
		case hclsyntax.TokenIdent:
			return string(t.Bytes)
		}
		return ""
	}
	return ""
}
