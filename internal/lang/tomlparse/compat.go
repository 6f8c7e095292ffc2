package tomlparse

import "strings"

// checkTOML10 rejects the TOML 1.1 syntax that the decoder accepts but
// toml11 3.7 (Nix 2.8) does not: the string escapes \e and \xHH, and a
// newline or trailing comma inside an inline table. It only tracks strings,
// comments and bracket nesting; everything else is left to the decoder.
func checkTOML10(s string) error {
	var nest []byte // open '{' and '[' (table headers included)
	var last byte   // last non-blank byte seen, for the trailing-comma check
	line, lineStart := 1, 0
	fail := func(i int, msg string) error {
		return &Error{Line: line, Col: i - lineStart + 1, Msg: msg}
	}
	inTable := func() bool { return len(nest) > 0 && nest[len(nest)-1] == '{' }

	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		case '\n':
			if inTable() {
				return fail(i, "newline in an inline table (not allowed before TOML 1.1)")
			}
			line, lineStart = line+1, i+1
			i++
			continue
		case ' ', '\t', '\r':
			i++
			continue
		case '"', '\'':
			end, nl, bad := skipString(s, i)
			if bad >= 0 {
				for _, p := range nl {
					if p < bad {
						line, lineStart = line+1, p+1
					}
				}
				return fail(bad, "escape \\"+string(s[bad+1])+" (not allowed before TOML 1.1)")
			}
			for _, p := range nl {
				line, lineStart = line+1, p+1
			}
			i = end
			last = c
			continue
		case '{', '[':
			nest = append(nest, c)
		case '}':
			if inTable() && last == ',' {
				return fail(i, "trailing comma in an inline table (not allowed before TOML 1.1)")
			}
			fallthrough
		case ']':
			if len(nest) > 0 {
				nest = nest[:len(nest)-1]
			}
		}
		last = c
		i++
	}
	return nil
}

// skipString skips the string starting at s[i] (basic or literal, single or
// multi-line). It returns the index after it, the positions of the newlines
// inside it, and the position of a backslash starting a TOML 1.1 escape in a
// basic string, or -1.
func skipString(s string, i int) (end int, newlines []int, bad int) {
	q := s[i]
	multi := strings.HasPrefix(s[i:], strings.Repeat(string(q), 3))
	if multi {
		i += 3
	} else {
		i++
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\' && q == '"':
			if i+1 < len(s) && (s[i+1] == 'e' || s[i+1] == 'x') {
				return i, newlines, i
			}
			if i+1 < len(s) && s[i+1] == '\n' {
				newlines = append(newlines, i+1)
			}
			i += 2
			continue
		case c == '\n':
			if !multi {
				return i, newlines, -1 // unterminated: the decoder reports it
			}
			newlines = append(newlines, i)
		case c == q:
			if !multi {
				return i + 1, newlines, -1
			}
			n := 0
			for i+n < len(s) && s[i+n] == q && n < 5 {
				n++
			}
			if n >= 3 {
				return i + n, newlines, -1
			}
			i += n
			continue
		}
		i++
	}
	return len(s), newlines, -1
}
