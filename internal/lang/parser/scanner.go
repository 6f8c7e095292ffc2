package parser

import (
	"math"
	"strconv"
	"strings"
)

// Start conditions of Nix 2.8's flex scanner. stInitial only exists at
// the bottom of the stack; stDefault replaces it everywhere else (a `}`
// pops only when not in stInitial).
type scanState uint8

const (
	stInitial scanState = iota
	stDefault
	stString
	stIndString
	stInPath
	stInPathSlash
)

// scanner is a hand-written equivalent of lexer.l: longest match, ties
// to the rule listed first, with flex's start-condition stack.
//
// Positions: line is the line of off and lineStart the offset where that
// line starts, so the column of off is off-lineStart+1 (columns count
// bytes). Only text that may hold a line break goes through match, which
// counts the breaks as lexer.l's adjustLoc does: per matched text, so a
// CR ending one match and an LF starting the next are two breaks.
type scanner struct {
	src       string
	off       int
	lineStart int
	line      int32
	state     scanState
	stack     []scanState

	// Bison locations as lexer.l's adjustLoc keeps them: the start of the
	// text matched last and of the one before (restored by yyless(0)).
	curLine, curCol   int32
	prevLine, prevCol int32

	// plainUntil: the run of path characters that ends here is followed
	// by neither '/' nor ':', so no PATH or URI starts before it.
	plainUntil int

	failed bool // a lexical error was returned; only errors follow
	errTok token
}

func newScanner(src string) *scanner {
	return &scanner{src: src, line: 1, curLine: 1, curCol: 1, prevLine: 1, prevCol: 1}
}

func (s *scanner) push(st scanState) {
	s.stack = append(s.stack, s.state)
	s.state = st
}

func (s *scanner) pop() {
	if n := len(s.stack); n > 0 {
		s.state = s.stack[n-1]
		s.stack = s.stack[:n-1]
	}
}

// begin records the start of a match at off (the first half of
// adjustLoc).
func (s *scanner) begin() {
	s.prevLine, s.prevCol = s.curLine, s.curCol
	s.curLine, s.curCol = s.line, int32(s.off-s.lineStart+1)
}

// match records a match of n bytes at off and consumes it.
func (s *scanner) match(n int) {
	s.begin()
	end := s.off + n
	text := s.src[s.off:end]
	if n > 16 && strings.IndexByte(text, '\r') < 0 {
		// Long text without CR (comments, strings): find the line
		// breaks with the library's vectorised search.
		for pos := s.off; ; {
			k := strings.IndexByte(s.src[pos:end], '\n')
			if k < 0 {
				break
			}
			pos += k + 1
			s.line++
			s.lineStart = pos
		}
		s.off = end
		return
	}
	src := s.src[:end]
	for i := s.off; i < end; i++ {
		switch src[i] {
		case '\r':
			if i+1 < end && src[i+1] == '\n' {
				i++
			}
			s.line++
			s.lineStart = i + 1
		case '\n':
			s.line++
			s.lineStart = i + 1
		}
	}
	s.off = end
}

// matchFlat is match for text known to hold no line break.
func (s *scanner) matchFlat(n int) {
	s.begin()
	s.off += n
}

// set2 matches an operator of two characters if k is one, else of one,
// and makes *t a token of kind k.
func (s *scanner) set2(t *token, k tokKind) {
	n := 1
	if k == tIMPL || k == tCONCAT || k == tNEQ || k == tGEQ {
		n = 2
	}
	s.matchFlat(n)
	s.set(t, k)
}

// set makes *t a token of kind k at the start of the last match.
func (s *scanner) set(t *token, k tokKind) {
	*t = token{kind: k, line: s.curLine, col: s.curCol}
}

func (s *scanner) setText(t *token, k tokKind, text string) {
	*t = token{kind: k, line: s.curLine, col: s.curCol, text: text}
}

func (s *scanner) errorAt(t *token, msg string) {
	s.failed = true
	s.errTok = token{kind: tError, line: s.curLine, col: s.curCol, text: msg}
	*t = s.errTok
}

// next returns the next token (tests use it; the parser calls scan).
func (s *scanner) next() token {
	var t token
	s.scan(&t)
	return t
}

// scan stores the next token in *t.
func (s *scanner) scan(t *token) {
	if s.state > stDefault || s.failed {
		s.scanOther(t)
		return
	}
	// The default state (lexer.l's INITIAL and DEFAULT).
	src := s.src
	for {
		i := s.off
		if i >= len(src) {
			s.set(t, tEOF)
			return
		}
		c := src[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			// [ \t\r\n]+ is one match; lines are counted as it is read.
			s.begin()
			j := i
			for {
				for j < len(src) && src[j] == ' ' {
					j++
				}
				if j == len(src) {
					break
				}
				c := src[j]
				if c == '\n' {
					j++
					s.line++
					s.lineStart = j
					continue
				}
				if c == '\t' {
					j++
					continue
				}
				if c != '\r' {
					break
				}
				if j+1 < len(src) && src[j+1] == '\n' {
					j++
				}
				j++
				s.line++
				s.lineStart = j
			}
			s.off = j
			continue
		case '#':
			// \#[^\r\n]*
			rest := src[i+1:]
			k := strings.IndexByte(rest, '\n')
			if k < 0 {
				k = len(rest)
			}
			if r := strings.IndexByte(rest[:k], '\r'); r >= 0 {
				k = r
			}
			s.matchFlat(1 + k)
			continue
		case '/':
			if i+1 < len(src) && src[i+1] == '*' {
				if end := strings.Index(src[i+2:], "*/"); end >= 0 {
					s.match(end + 4)
					continue
				}
			}
		}
		// The token: the common ones are settled by their first bytes;
		// anything where several rules of lexer.l may compete goes to
		// lexDefaultToken, which tries them all.
		cls := charClass[c]
		switch {
		case cls&cIDStart != 0:
			j := i + 1
			for j < len(src) && charClass[src[j]]&cID != 0 {
				j++
			}
			// An identifier followed by neither a path character, '/' nor
			// ':' is one no path or URI rule can match beyond (most tokens).
			// Followed by a path character (`a.b`), it still is if the run of
			// path characters does not end in '/' (PATH) or ':' (the URI's
			// scheme is a part of that run).
			if j < len(src) && (charClass[src[j]]&cPath != 0 || src[j] == '/' || src[j] == ':') && i >= s.plainUntil {
				k := pathRunEnd(src, i)
				if k < len(src) && (src[k] == '/' || src[k] == ':') {
					break
				}
				// Tokens starting inside the run end it at k too (a.b.c).
				s.plainUntil = k
			}
			text := src[i:j]
			s.matchFlat(j - i)
			if k := keyword(text); k != tID {
				s.set(t, k)
				return
			}
			s.setText(t, tID, text)
			return
		case cls&cDigit != 0:
			j := i + 1
			for j < len(src) && charClass[src[j]]&cDigit != 0 {
				j++
			}
			// FLOAT and PATH need a path character or '/' after the digits.
			if j < len(src) && (charClass[src[j]]&cPath != 0 || src[j] == '/') {
				break
			}
			text := src[i:j]
			s.matchFlat(j - i)
			if len(text) > 18 {
				if _, err := strconv.ParseInt(text, 10, 64); err != nil {
					s.errorAt(t, "invalid integer '"+text+"'")
					return
				}
			}
			s.setText(t, tINT, text)
			return
		}
		var next byte // the byte after c, or 0
		if i+1 < len(src) {
			next = src[i+1]
		}
		switch c {
		case ';', ',', '(', ')', '[', ']', '@', '?', ':', '*':
			s.matchFlat(1)
			s.set(t, charTokens[c])
			return
		case '.':
			// "...", a FLOAT (.5) and a PATH (./a, .a/b) go the long way.
			if next == '.' || isDigit(next) || i >= s.plainUntil && !noPathAt(src, i) {
				break
			}
			s.matchFlat(1)
			s.set(t, tDOT)
			return
		case '-', '+':
			if !noPathAt(src, i) {
				break
			}
			k := charTokens[c]
			switch {
			case c == '-' && next == '>':
				k = tIMPL
			case c == '+' && next == '+':
				k = tCONCAT
			}
			s.set2(t, k)
			return
		case '/':
			switch {
			case next == '/':
				s.matchFlat(2)
				s.set(t, tUPDATE)
				return
			case isPathChar(next) || next == '$' || next == '*':
				// a PATH, {PATH_SEG}${ or an unterminated comment
			default:
				s.matchFlat(1)
				s.set(t, tDIV)
				return
			}
		case '!', '>':
			k := charTokens[c]
			if next == '=' {
				k = tNEQ
				if c == '>' {
					k = tGEQ
				}
			}
			s.set2(t, k)
			return
		case '&', '|':
			if next != c {
				break
			}
			k := tAND
			if c == '|' {
				k = tOR
			}
			s.matchFlat(2)
			s.set(t, k)
			return
		case '$':
			if next != '{' {
				break
			}
			s.matchFlat(2)
			s.push(stDefault)
			s.set(t, tDOLLARCURLY)
			return
		case '=':
			if i+1 < len(src) && src[i+1] == '=' {
				s.matchFlat(2)
				s.set(t, tEQ)
				return
			}
			s.matchFlat(1)
			s.set(t, tASSIGN)
			return
		case '{':
			s.matchFlat(1)
			s.push(stDefault)
			s.set(t, tLBRACE)
			return
		case '}':
			s.matchFlat(1)
			if s.state != stInitial {
				s.pop()
			}
			s.set(t, tRBRACE)
			return
		case '"':
			s.matchFlat(1)
			s.push(stString)
			s.set(t, tQUOTE)
			return
		}
		s.lexDefaultToken(t, i, c)
		return
	}
}

// scanOther is scan in the string and path states, and after an error.
func (s *scanner) scanOther(t *token) {
	if s.failed {
		*t = s.errTok
		return
	}
	switch s.state {
	case stString:
		s.lexString(t)
	case stIndString:
		s.lexIndString(t)
	case stInPath, stInPathSlash:
		s.lexInPath(t)
	}
}

// Character classes of lexer.l's rules.
const (
	cPath    = 1 << iota // PATH_CHAR: [a-zA-Z0-9\.\_\-\+]
	cIDStart             // [a-zA-Z\_]
	cID                  // [a-zA-Z0-9\_\'\-]
	cDigit               // [0-9]
	cURI                 // [a-zA-Z0-9\%\/\?\:\@\&\=\+\$\,\-\_\.\!\~\*\']
	cScheme              // [a-zA-Z0-9\+\-\.] (after the URI's first letter)
	cStr                 // no rule of the STRING state starts here: [^"\\$\r]
	cIndStr              // nor of IND_STRING: [^$']
)

// charClass is read-only after initialisation.
var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		letter := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
		digit := '0' <= b && b <= '9'
		var k uint8
		if letter || digit || b == '.' || b == '_' || b == '-' || b == '+' {
			k |= cPath
		}
		if letter || b == '_' {
			k |= cIDStart
		}
		if letter || digit || b == '_' || b == '\'' || b == '-' {
			k |= cID
		}
		if digit {
			k |= cDigit
		}
		if letter || digit || strings.IndexByte("%/?:@&=+$,-_.!~*'", b) >= 0 {
			k |= cURI
		}
		if letter || digit || b == '+' || b == '-' || b == '.' {
			k |= cScheme
		}
		if b != '"' && b != '\\' && b != '$' && b != '\r' {
			k |= cStr
		}
		if b != '$' && b != '\'' {
			k |= cIndStr
		}
		t[c] = k
	}
	return t
}()

func isPathChar(c byte) bool { return charClass[c]&cPath != 0 }
func isIDStart(c byte) bool  { return charClass[c]&cIDStart != 0 }
func isIDChar(c byte) bool   { return charClass[c]&cID != 0 }
func isDigit(c byte) bool    { return charClass[c]&cDigit != 0 }
func isURIChar(c byte) bool  { return charClass[c]&cURI != 0 }

// pathRunEnd is the end of the run of path characters at i.
func pathRunEnd(src string, i int) int {
	for i < len(src) && charClass[src[i]]&cPath != 0 {
		i++
	}
	return i
}

// noPathAt reports that no PATH and no {PATH_SEG}${ starts at i: the run
// of path characters there is not followed by '/'.
func noPathAt(src string, i int) bool {
	k := pathRunEnd(src, i)
	return k == len(src) || src[k] != '/'
}

// pathLen is the longest match of {PATH_CHAR}*(\/{PATH_CHAR}+)+\/? at i,
// or 0.
func pathLen(src string, i int) int {
	j := i
	for j < len(src) && isPathChar(src[j]) {
		j++
	}
	segs := 0
	for j+1 < len(src) && src[j] == '/' && isPathChar(src[j+1]) {
		j += 2
		for j < len(src) && isPathChar(src[j]) {
			j++
		}
		segs++
	}
	if segs == 0 {
		return 0
	}
	if j < len(src) && src[j] == '/' {
		j++
	}
	return j - i
}

// pathSegLen is the length of {PATH_CHAR}*\/ at i, or 0.
func pathSegLen(src string, i int) int {
	j := i
	for j < len(src) && isPathChar(src[j]) {
		j++
	}
	if j < len(src) && src[j] == '/' {
		return j + 1 - i
	}
	return 0
}

// hpathLen is the longest match of \~(\/{PATH_CHAR}+)+\/? at i, or 0.
func hpathLen(src string, i int) int {
	if i >= len(src) || src[i] != '~' {
		return 0
	}
	n := pathLen(src, i+1)
	if n == 0 || src[i+1] != '/' {
		return 0
	}
	return n + 1
}

// spathLen is the length of \<{PATH_CHAR}+(\/{PATH_CHAR}+)*\> at i, or 0.
func spathLen(src string, i int) int {
	j := i + 1
	for {
		k := j
		for k < len(src) && isPathChar(src[k]) {
			k++
		}
		if k == j {
			return 0
		}
		j = k
		if j < len(src) && src[j] == '>' {
			return j + 1 - i
		}
		if j < len(src) && src[j] == '/' {
			j++
			continue
		}
		return 0
	}
}

// uriLen is the length of the URI rule at i, or 0.
func uriLen(src string, i int) int {
	if i >= len(src) || !('a' <= src[i] && src[i] <= 'z' || 'A' <= src[i] && src[i] <= 'Z') {
		return 0
	}
	j := i + 1
	for j < len(src) {
		c := src[j]
		if charClass[c]&cScheme == 0 {
			break
		}
		j++
	}
	if j >= len(src) || src[j] != ':' {
		return 0
	}
	j++
	k := j
	for k < len(src) && isURIChar(src[k]) {
		k++
	}
	if k == j {
		return 0
	}
	return k - i
}

// floatLen is the longest match of the FLOAT rule at i, or 0.
func floatLen(src string, i int) int {
	j := i
	switch {
	case j < len(src) && '1' <= src[j] && src[j] <= '9':
		for j < len(src) && isDigit(src[j]) {
			j++
		}
		if j >= len(src) || src[j] != '.' {
			return 0
		}
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	default:
		if j < len(src) && src[j] == '0' {
			j++
		}
		if j+1 >= len(src) || src[j] != '.' || !isDigit(src[j+1]) {
			return 0
		}
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && isDigit(src[k]) {
			for k < len(src) && isDigit(src[k]) {
				k++
			}
			j = k
		}
	}
	return j - i
}

// keyword returns the keyword token of an identifier's text, or tID.
func keyword(s string) tokKind {
	switch s {
	case "if":
		return tIF
	case "then":
		return tTHEN
	case "else":
		return tELSE
	case "assert":
		return tASSERT
	case "with":
		return tWITH
	case "let":
		return tLET
	case "in":
		return tIN
	case "rec":
		return tREC
	case "inherit":
		return tINHERIT
	case "or":
		return tORKW
	}
	return tID
}

// Rule numbers for breaking ties between equally long matches (flex
// prefers the rule listed first).
const (
	ruleOp = iota
	ruleID
	ruleINT
	ruleFLOAT
	rulePathSegDollar
	rulePATH
	ruleHPATH
	ruleSPATH
	ruleURI
)

// lexDefaultToken scans the token at i, whose first byte is c, by
// trying every rule of lexer.l that can match there.
func (s *scanner) lexDefaultToken(t *token, i int, c byte) {
	src := s.src
	// Candidates: length and rule; the longest wins, then the lowest rule.
	bestLen, bestRule := 0, -1
	opKind := tInvalid
	consider := func(n, rule int) {
		if n > bestLen {
			bestLen, bestRule = n, rule
		}
	}
	// Operators and punctuation (the rules listed before ID).
	two := ""
	if i+1 < len(src) {
		two = src[i : i+2]
	}
	switch {
	case c == '.' && strings.HasPrefix(src[i:], "..."):
		opKind = tELLIPSIS
		consider(3, ruleOp)
	case two == "==":
		opKind, bestLen, bestRule = tEQ, 2, ruleOp
	case two == "!=":
		opKind, bestLen, bestRule = tNEQ, 2, ruleOp
	case two == "<=":
		opKind, bestLen, bestRule = tLEQ, 2, ruleOp
	case two == ">=":
		opKind, bestLen, bestRule = tGEQ, 2, ruleOp
	case two == "&&":
		opKind, bestLen, bestRule = tAND, 2, ruleOp
	case two == "||":
		opKind, bestLen, bestRule = tOR, 2, ruleOp
	case two == "->":
		opKind, bestLen, bestRule = tIMPL, 2, ruleOp
	case two == "//":
		opKind, bestLen, bestRule = tUPDATE, 2, ruleOp
	case two == "++":
		opKind, bestLen, bestRule = tCONCAT, 2, ruleOp
	case two == "${":
		opKind, bestLen, bestRule = tDOLLARCURLY, 2, ruleOp
	case two == "''":
		n := 2
		j := i + 2
		for j < len(src) && src[j] == ' ' {
			j++
		}
		if j < len(src) && src[j] == '\n' {
			n = j + 1 - i
		}
		opKind, bestLen, bestRule = tINDOPEN, n, ruleOp
	}
	// plainID: an identifier followed by neither a path character, '/'
	// nor ':', which no path or URI rule can match beyond (most tokens)
	plainID := false
	if isIDStart(c) {
		j := i + 1
		for j < len(src) && isIDChar(src[j]) {
			j++
		}
		consider(j-i, ruleID)
		plainID = j == len(src) || src[j] != '/' && src[j] != ':' && !isPathChar(src[j])
	}
	if isDigit(c) {
		j := i + 1
		for j < len(src) && isDigit(src[j]) {
			j++
		}
		consider(j-i, ruleINT)
	}
	if isDigit(c) || c == '.' {
		consider(floatLen(src, i), ruleFLOAT)
	}
	if !plainID && (isPathChar(c) || c == '/') {
		if n := pathSegLen(src, i); n > 0 && strings.HasPrefix(src[i+n:], "${") {
			consider(n+2, rulePathSegDollar)
		}
		consider(pathLen(src, i), rulePATH)
	}
	switch c {
	case '~':
		if strings.HasPrefix(src[i:], "~/${") {
			consider(4, rulePathSegDollar)
		}
		consider(hpathLen(src, i), ruleHPATH)
	case '<':
		consider(spathLen(src, i), ruleSPATH)
	}
	if !plainID && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		consider(uriLen(src, i), ruleURI)
	}

	switch bestRule {
	case ruleOp:
		switch opKind {
		case tINDOPEN:
			s.match(bestLen)
			s.push(stIndString)
		case tDOLLARCURLY:
			s.matchFlat(bestLen)
			s.push(stDefault)
		default:
			s.matchFlat(bestLen)
		}
		s.set(t, opKind)
		return
	case ruleID:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		s.setText(t, keyword(text), text)
		if t.kind != tID {
			t.text = ""
		}
		return
	case ruleINT:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			s.errorAt(t, "invalid integer '"+text+"'")
			return
		}
		s.setText(t, tINT, text)
		return
	case ruleFLOAT:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		if _, ok := parseFloat(text); !ok {
			s.errorAt(t, "invalid float '"+text+"'")
			return
		}
		s.setText(t, tFLOAT, text)
		return
	case rulePathSegDollar:
		// {PATH_SEG}\$\{ or {HPATH_START}\$\{: yyless(0), then the
		// segment alone is the PATH/HPATH token, in state INPATH_SLASH.
		n := bestLen - 2
		text := src[i : i+n]
		s.matchFlat(n)
		s.push(stInPathSlash)
		k := tPATH
		if c == '~' {
			k = tHPATH
		}
		s.setText(t, k, text)
		return
	case rulePATH, ruleHPATH:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		if text[len(text)-1] == '/' {
			s.push(stInPathSlash)
		} else {
			s.push(stInPath)
		}
		k := tPATH
		if bestRule == ruleHPATH {
			k = tHPATH
		}
		s.setText(t, k, text)
		return
	case ruleSPATH:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		s.setText(t, tSPATH, text)
		return
	case ruleURI:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		s.setText(t, tURI, text)
		return
	}

	// A single character.
	s.match(1)
	switch c {
	case 0:
		// lexer.l returns the byte itself; 0 is Bison's end of file.
		s.set(t, tEOF)
		return
	case '}':
		if s.state != stInitial {
			s.pop()
		}
		s.set(t, tRBRACE)
		return
	case '{':
		s.push(stDefault)
		s.set(t, tLBRACE)
		return
	case '"':
		s.push(stString)
		s.set(t, tQUOTE)
		return
	}
	if k := charTokens[c]; k != 0 {
		s.set(t, k)
		return
	}
	s.set(t, tInvalid)
	return
}

// parseFloat converts like strtod and reports false where strtod sets
// ERANGE: overflow, and results that underflow to a subnormal or zero.
func parseFloat(text string) (float64, bool) {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, false
	}
	if v != 0 && math.Abs(v) < 0x1p-1022 {
		return 0, false
	}
	if v == 0 {
		// Zero is exact only if every mantissa digit is zero.
		for i := 0; i < len(text); i++ {
			c := text[i]
			if c == 'e' || c == 'E' {
				break
			}
			if '1' <= c && c <= '9' {
				return 0, false
			}
		}
	}
	return v, true
}
