package parser

import "strings"

// lexString scans inside "…".
func (s *scanner) lexString(t *token) {
	src := s.src
	i := s.off
	if i >= len(src) {
		s.set(t, tEOF)
		return
	}
	j := i
	simple := true // no escapes and no CR: the value is the source text
loop:
	for j < len(src) {
		if charClass[src[j]]&cStr != 0 {
			j++
			continue
		}
		switch src[j] {
		case '"':
			break loop
		case '\\':
			if j+1 >= len(src) {
				break loop
			}
			simple = false
			j += 2
		case '$':
			if j+1 >= len(src) {
				break loop
			}
			switch src[j+1] {
			case '{':
				break loop
			case '"':
				j++ // the trailing-context rule: …$ followed by "
				break loop
			case '\\':
				if j+2 >= len(src) {
					break loop
				}
				simple = false
				j += 3
			default:
				j += 2
			}
		case '\r':
			simple = false
			j++
		default:
			j++
		}
	}
	if j > i {
		text := src[i:j]
		s.match(j - i)
		if !simple || strings.IndexByte(text, 0) >= 0 {
			text = unescapeStr(text)
		}
		s.setText(t, tSTR, text)
		return
	}
	switch {
	case strings.HasPrefix(src[i:], "${"):
		s.matchFlat(2)
		s.push(stDefault)
		s.set(t, tDOLLARCURLY)
		return
	case src[i] == '"':
		s.matchFlat(1)
		s.pop()
		s.set(t, tQUOTE)
		return
	case strings.HasPrefix(src[i:], "$\\"):
		// Only at end of input ("$\" then EOF).
		s.matchFlat(2)
		s.set(t, tSTR)
		return
	default:
		// "$" or "\" at end of input.
		s.matchFlat(1)
		s.set(t, tSTR)
		return
	}
}

// unescapeStr is lexer.l's unescapeStr: \n \r \t, backslash + any byte
// is that byte, and raw CR / CR-LF become LF. Like the C original it stops
// at a raw NUL byte.
func unescapeStr(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch c {
		case '\\':
			i++
			if i >= len(text) {
				return b.String()
			}
			switch d := text[i]; d {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(d)
			}
		case '\r':
			b.WriteByte('\n')
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
		case 0:
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// lexIndString scans inside an indented string.
func (s *scanner) lexIndString(t *token) {
	src := s.src
	i := s.off
	if i >= len(src) {
		s.set(t, tEOF)
		return
	}
	j := i
loop:
	for j < len(src) {
		if charClass[src[j]]&cIndStr != 0 {
			j++
			continue
		}
		switch src[j] {
		case '$':
			if j+1 >= len(src) || src[j+1] == '{' || src[j+1] == '\'' {
				break loop
			}
			j += 2
		case '\'':
			if j+1 >= len(src) || src[j+1] == '\'' || src[j+1] == '$' {
				break loop
			}
			j += 2
		default:
			j++
		}
	}
	if j > i {
		s.match(j - i)
		s.setText(t, tINDSTR, src[i:j])
		t.indent = true
		return
	}
	rest := src[i:]
	switch {
	case strings.HasPrefix(rest, "''$"):
		s.matchFlat(3)
		s.setText(t, tINDSTR, "$")
		return
	case strings.HasPrefix(rest, "'''"):
		s.matchFlat(3)
		s.setText(t, tINDSTR, "''")
		return
	case strings.HasPrefix(rest, "''\\") && len(rest) > 3:
		s.match(4)
		s.setText(t, tINDSTR, unescapeStr(rest[2:4]))
		return
	case strings.HasPrefix(rest, "${"):
		s.matchFlat(2)
		s.push(stDefault)
		s.set(t, tDOLLARCURLY)
		return
	case strings.HasPrefix(rest, "''"):
		s.matchFlat(2)
		s.pop()
		s.set(t, tINDCLOSE)
		return
	case rest[0] == '$':
		s.matchFlat(1)
		s.setText(t, tINDSTR, "$")
		return
	default: // a lone '
		s.matchFlat(1)
		s.setText(t, tINDSTR, "'")
		return
	}
}

// lexInPath scans the continuation of a path that may hold
// interpolations (states INPATH and INPATH_SLASH).
func (s *scanner) lexInPath(t *token) {
	src := s.src
	i := s.off
	if strings.HasPrefix(src[i:], "${") {
		s.matchFlat(2)
		s.pop()
		s.push(stInPath)
		s.push(stDefault)
		s.set(t, tDOLLARCURLY)
		return
	}
	n := pathLen(src, i)
	if m := pathSegLen(src, i); m > n {
		n = m
	}
	if n == 0 {
		for i+n < len(src) && isPathChar(src[i+n]) {
			n++
		}
	}
	if n > 0 {
		text := src[i : i+n]
		s.matchFlat(n)
		s.pop()
		if text[n-1] == '/' {
			s.push(stInPathSlash)
		} else {
			s.push(stInPath)
		}
		s.setText(t, tSTR, text)
		return
	}
	if s.state == stInPathSlash {
		if i < len(src) {
			s.match(1)
		}
		s.errorAt(t, "path has a trailing slash")
		return
	}
	// PATH_END: the character is scanned again in the enclosing state.
	s.pop()
	if i >= len(src) {
		// <<EOF>>: no adjustLoc ran, so yyless(0) restores the location of
		// the text before the path.
		s.curLine, s.curCol = s.prevLine, s.prevCol
		s.set(t, tPATHEND)
		return
	}
	s.prevLine, s.prevCol = s.curLine, s.curCol
	s.set(t, tPATHEND)
}
