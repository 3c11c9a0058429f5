package config

import "bytes"

// shallow reports whether src surely nests no deeper than MaxNesting, by
// one pass over its bytes, without hcl's scanner: checkNesting lexes the
// whole file into tokens before hcl's parser lexes it again, a quarter of
// loading a thousand unikernels. When shallow says false, checkNesting
// decides, and gives the diagnostic.
//
// It tracks what checkNesting counts: ( [ {, quoted and heredoc templates
// and their ${ sequences, runs of unary - and !, and conditionals. It
// counts at least as much as checkNesting does: a ? is dropped only when
// its bracket closes (checkNesting drops it at a comma or newline too), a
// run of - and ! is broken only by another token (comments and newlines
// do not break it, as they do not for checkNesting), and a closer pops
// only the bracket it closes. Where its view of strings and comments could part from hcl's
// scanner's, it gives up (false): a newline inside quotes, an unterminated
// comment, string or heredoc, a heredoc marker line indented under << or
// spaced with other than spaces and tabs, $$ and %% escapes, template
// directives (%{) and ~}.
func shallow(src []byte) bool {
	s := boundScanner{src: src}
	return s.code() && len(s.frames) == 0 && !s.unsure
}

// boundFrame is an open level: the byte that closes a bracket (0 for a
// template), and the conditionals inside it.
type boundFrame struct {
	close     byte
	ternaries int
}

type boundScanner struct {
	src     []byte
	i       int
	frames  []boundFrame
	extra   int // ternaries of all frames
	unaries int
	unsure  bool
}

// deep reports whether the count is beyond the limit, or the scanner is
// unsure: either ends the scan.
func (s *boundScanner) deep() bool {
	return s.unsure || len(s.frames)+s.extra+s.unaries > MaxNesting
}

func (s *boundScanner) push(close byte) bool {
	s.frames = append(s.frames, boundFrame{close: close})
	return !s.deep()
}

// pop closes the innermost frame if close closes it, and reports whether
// it did.
func (s *boundScanner) pop(close byte) bool {
	if n := len(s.frames); n > 0 && s.frames[n-1].close == close {
		s.extra -= s.frames[n-1].ternaries
		s.frames = s.frames[:n-1]
		return true
	}
	return false
}

func (s *boundScanner) giveUp() bool {
	s.unsure = true
	return false
}

// code scans code until the end of src (true) or, inside a template
// sequence (${ ... }), until the } that closes it; false means deep or
// unsure.
func (s *boundScanner) code() bool {
	base := len(s.frames)
	for s.i < len(s.src) {
		c := s.src[s.i]
		s.i++
		switch c {
		case ' ', '\t', '\r', '\n':
			continue // a run of unaries goes on
		case '-', '!':
			s.unaries++
			if s.deep() {
				return false
			}
			continue
		}
		switch {
		case c == '#' || c == '/' && s.at("/"):
			s.skipLine()
			continue // comments do not break a run of unaries
		case c == '/' && s.at("*"):
			end := indexFrom(s.src, s.i+1, "*/")
			if end < 0 {
				return s.giveUp()
			}
			s.i = end + 2
			continue
		}
		s.unaries = 0
		switch c {
		case '(':
			if !s.push(')') {
				return false
			}
		case '[':
			if !s.push(']') {
				return false
			}
		case '{':
			if !s.push('}') {
				return false
			}
		case ')', ']':
			s.pop(c)
		case '}':
			if base > 0 && !s.braceOpenAbove(base) {
				// hcl's scanner ends a ${ sequence at the first } that
				// closes no { opened in it, whatever else is open; what
				// is open stays counted, as checkNesting counts it.
				return true
			}
			s.pop('}')
		case '~':
			if s.at("}") {
				return s.giveUp() // ~} ends a sequence wherever it is
			}
		case '?':
			if len(s.frames) > 0 {
				s.frames[len(s.frames)-1].ternaries++
			}
			s.extra++
			if s.deep() {
				return false
			}
		case '"':
			if !s.quoted() {
				return false
			}
		case '<':
			if s.at("<") {
				if !s.heredoc() {
					return false
				}
			}
		}
	}
	if base > 0 {
		return s.giveUp() // a ${ sequence that never ends
	}
	return true
}

// braceOpenAbove reports whether a { is open in frames[base:].
func (s *boundScanner) braceOpenAbove(base int) bool {
	for _, f := range s.frames[base:] {
		if f.close == '}' {
			return true
		}
	}
	return false
}

// at reports whether src continues with p at i.
func (s *boundScanner) at(p string) bool {
	return len(s.src)-s.i >= len(p) && string(s.src[s.i:s.i+len(p)]) == p
}

func (s *boundScanner) skipLine() {
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		s.i++
	}
}

// sequence scans a ${ sequence, its $ and { consumed: a frame of its own,
// code, and the } that ends it.
func (s *boundScanner) sequence() bool {
	s.frames = append(s.frames, boundFrame{})
	if s.deep() || !s.code() {
		return false
	}
	s.pop(0)
	return true
}

// quoted scans a quoted template, its opening quote consumed.
func (s *boundScanner) quoted() bool {
	s.frames = append(s.frames, boundFrame{})
	if s.deep() {
		return false
	}
	for s.i < len(s.src) {
		c := s.src[s.i]
		s.i++
		switch c {
		case '"':
			s.pop(0)
			return true
		case '\\':
			if s.at("\n") {
				return s.giveUp()
			}
			s.i++ // the escaped byte
		case '\n':
			return s.giveUp()
		case '$', '%':
			if !s.templateByte(c) {
				return false
			}
		}
	}
	return s.giveUp()
}

// templateByte handles a $ or % just read in a template's text.
func (s *boundScanner) templateByte(c byte) bool {
	switch {
	case s.at(string(c)):
		return s.giveUp() // $$ and %% escapes
	case c == '%' && s.at("{"):
		return s.giveUp() // directives
	case c == '$' && s.at("{"):
		s.i++
		return s.sequence()
	}
	return true
}

// heredoc scans a heredoc template, its first < consumed: <<MARKER or
// <<-MARKER and a newline, lines of text with ${ sequences, and the
// marker on a line of its own.
func (s *boundScanner) heredoc() bool {
	s.i++ // the second <
	indented := s.at("-")
	if indented {
		s.i++
	}
	start := s.i
	if s.i < len(s.src) && (s.src[s.i] == '_' || 'a' <= s.src[s.i]|0x20 && s.src[s.i]|0x20 <= 'z') {
		for s.i < len(s.src) && (isIdentByte(s.src[s.i]) || s.src[s.i] == '-') {
			s.i++
		}
	}
	marker := string(s.src[start:s.i])
	if s.at("\r") {
		s.i++
	}
	if marker == "" || !s.at("\n") {
		return s.giveUp()
	}
	s.i++
	s.frames = append(s.frames, boundFrame{})
	if s.deep() {
		return false
	}
	lineStart := true
	for s.i < len(s.src) {
		if lineStart {
			lineStart = false
			end := s.i
			for end < len(s.src) && s.src[end] != '\n' {
				end++
			}
			line := s.src[s.i:end]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			// A line with the marker in it may be the end for hcl's
			// scanner (it trims every kind of space, and more): this scan
			// ends a heredoc only on the marker alone between spaces and
			// tabs, and gives up on any other such line.
			if bytes.Contains(line, []byte(marker)) {
				trimmed := trimSpaceTab(line)
				if string(trimmed) != marker || len(trimmed) != len(line) && !indented {
					return s.giveUp()
				}
				s.i = end
				s.pop(0)
				return true
			}
		}
		c := s.src[s.i]
		s.i++
		switch c {
		case '\n':
			lineStart = true
		case '$', '%':
			if !s.templateByte(c) {
				return false
			}
		}
	}
	return s.giveUp()
}

func isIdentByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func trimSpaceTab(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// indexFrom is the index of p in src at or after from, or -1.
func indexFrom(src []byte, from int, p string) int {
	for i := from; i+len(p) <= len(src); i++ {
		if string(src[i:i+len(p)]) == p {
			return i
		}
	}
	return -1
}
