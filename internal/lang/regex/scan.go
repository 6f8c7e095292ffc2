package regex

// The scanner follows libstdc++'s _Scanner for the POSIX extended grammar
// (GCC 12, the library Debian's Nix 2.8 is built with): one token of
// lookahead, scanned eagerly, so a lexical error surfaces when the
// compiler asks for the token after the one it has just consumed.

type token uint8

const (
	tokEOF token = iota
	tokOrdChar
	tokAnyChar
	tokLineBegin
	tokLineEnd
	tokClosure0 // *
	tokClosure1 // +
	tokOpt      // ?
	tokOr
	tokSubexprBegin
	tokSubexprEnd
	tokBracketBegin
	tokBracketNegBegin
	tokBracketEnd
	tokBracketDash
	tokIntervalBegin
	tokIntervalEnd
	tokDupCount
	tokComma
	tokCollSymbol
	tokEquivClassName
	tokCharClassName
)

type scanState uint8

const (
	stateNormal scanState = iota
	stateInBracket
	stateInBrace
)

// extendedSpecial lists the bytes that are special outside brackets in
// libstdc++'s extended grammar; only these may follow a backslash.
// ']' and '}' are not in it: alone they are ordinary characters.
const extendedSpecial = ".[\\()*+?{|^$"

type scanner struct {
	re    string
	pos   int
	state scanState
	// atBracketStart is true for the first token after '[' or '[^', where
	// ']' is an ordinary character.
	atBracketStart bool

	tok   token
	value string
	err   error
}

func isSpecial(c byte) bool {
	for i := 0; i < len(extendedSpecial); i++ {
		if extendedSpecial[i] == c {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) fail(code errCode) {
	if s.err == nil {
		s.err = code
	}
	s.tok = tokEOF
}

// advance scans the next token into s.tok and s.value.
func (s *scanner) advance() {
	if s.err != nil {
		return
	}
	if s.pos == len(s.re) {
		s.tok = tokEOF
		return
	}
	switch s.state {
	case stateNormal:
		s.scanNormal()
	case stateInBracket:
		s.scanInBracket()
	default:
		s.scanInBrace()
	}
}

func (s *scanner) scanNormal() {
	c := s.re[s.pos]
	s.pos++
	// strchr finds the terminating NUL too, so a NUL byte takes the
	// "special" path and is then rejected (regex_constants::_S_null).
	if c != 0 && !isSpecial(c) {
		s.tok = tokOrdChar
		s.value = s.re[s.pos-1 : s.pos]
		return
	}
	switch c {
	case '\\':
		if s.pos == len(s.re) {
			s.fail(errEscape)
			return
		}
		n := s.re[s.pos]
		// POSIX leaves escaping an ordinary character undefined; Nix is
		// built with -std=c++17 (__STRICT_ANSI__), where libstdc++
		// rejects it.
		if n == 0 || !isSpecial(n) {
			s.fail(errEscape)
			return
		}
		s.pos++
		s.tok = tokOrdChar
		s.value = s.re[s.pos-1 : s.pos]
	case '(':
		s.tok = tokSubexprBegin
	case ')':
		s.tok = tokSubexprEnd
	case '[':
		s.state = stateInBracket
		s.atBracketStart = true
		if s.pos < len(s.re) && s.re[s.pos] == '^' {
			s.tok = tokBracketNegBegin
			s.pos++
		} else {
			s.tok = tokBracketBegin
		}
	case '{':
		s.state = stateInBrace
		s.tok = tokIntervalBegin
	case 0:
		s.fail(errNull)
	case '^':
		s.tok = tokLineBegin
	case '$':
		s.tok = tokLineEnd
	case '.':
		s.tok = tokAnyChar
	case '*':
		s.tok = tokClosure0
	case '+':
		s.tok = tokClosure1
	case '?':
		s.tok = tokOpt
	case '|':
		s.tok = tokOr
	}
}

func (s *scanner) scanInBracket() {
	c := s.re[s.pos]
	s.pos++
	switch {
	case c == '-':
		s.tok = tokBracketDash
	case c == '[':
		if s.pos == len(s.re) {
			s.fail(errBrack)
			return
		}
		switch s.re[s.pos] {
		case '.':
			s.tok = tokCollSymbol
			s.pos++
			s.eatClass('.')
		case ':':
			s.tok = tokCharClassName
			s.pos++
			s.eatClass(':')
		case '=':
			s.tok = tokEquivClassName
			s.pos++
			s.eatClass('=')
		default:
			s.tok = tokOrdChar
			s.value = "["
		}
	case c == ']' && !s.atBracketStart:
		s.tok = tokBracketEnd
		s.state = stateNormal
	default:
		// A backslash is an ordinary character inside brackets.
		s.tok = tokOrdChar
		s.value = s.re[s.pos-1 : s.pos]
	}
	s.atBracketStart = false
}

// eatClass reads the name of "[:name:]", "[.name.]" or "[=name=]" after
// its opening delimiter.
func (s *scanner) eatClass(delim byte) {
	start := s.pos
	for s.pos < len(s.re) && s.re[s.pos] != delim {
		s.pos++
	}
	s.value = s.re[start:s.pos]
	code := errCollate
	if delim == ':' {
		code = errCtype
	}
	if s.pos == len(s.re) {
		s.fail(code)
		return
	}
	s.pos++ // delim
	if s.pos == len(s.re) || s.re[s.pos] != ']' {
		if s.pos < len(s.re) {
			s.pos++
		}
		s.fail(code)
		return
	}
	s.pos++
}

func (s *scanner) scanInBrace() {
	c := s.re[s.pos]
	s.pos++
	switch {
	case isDigit(c):
		start := s.pos - 1
		for s.pos < len(s.re) && isDigit(s.re[s.pos]) {
			s.pos++
		}
		s.tok = tokDupCount
		s.value = s.re[start:s.pos]
	case c == ',':
		s.tok = tokComma
	case c == '}':
		s.state = stateNormal
		s.tok = tokIntervalEnd
	default:
		s.fail(errBadBrace)
	}
}
