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
type scanner struct {
	src   string
	off   int
	line  int32 // position of off
	col   int32
	state scanState
	stack []scanState

	// Bison locations as lexer.l's adjustLoc keeps them: the start of the
	// text matched last and of the one before (restored by yyless(0)).
	curLine, curCol   int32
	prevLine, prevCol int32

	failed bool // a lexical error was returned; only errors follow
	errTok token
}

func newScanner(src string) *scanner {
	return &scanner{src: src, line: 1, col: 1, curLine: 1, curCol: 1, prevLine: 1, prevCol: 1}
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

// match records a match of n bytes at off (adjustLoc) and consumes it.
func (s *scanner) match(n int) {
	s.prevLine, s.prevCol = s.curLine, s.curCol
	s.curLine, s.curCol = s.line, s.col
	end := s.off + n
	for i := s.off; i < end; i++ {
		switch s.src[i] {
		case '\r':
			if i+1 < end && s.src[i+1] == '\n' {
				i++
			}
			s.line++
			s.col = 1
		case '\n':
			s.line++
			s.col = 1
		default:
			s.col++
		}
	}
	s.off = end
}

// matchFlat is match for text known to hold no line break.
func (s *scanner) matchFlat(n int) {
	s.prevLine, s.prevCol = s.curLine, s.curCol
	s.curLine, s.curCol = s.line, s.col
	s.col += int32(n)
	s.off += n
}

func (s *scanner) tok(k tokKind) token {
	return token{kind: k, line: s.curLine, col: s.curCol}
}

func (s *scanner) errorAt(msg string) token {
	s.failed = true
	s.errTok = token{kind: tError, line: s.curLine, col: s.curCol, text: msg}
	return s.errTok
}

// next returns the next token.
func (s *scanner) next() token {
	if s.failed {
		return s.errTok
	}
	switch s.state {
	case stString:
		return s.lexString()
	case stIndString:
		return s.lexIndString()
	case stInPath, stInPathSlash:
		return s.lexInPath()
	}
	return s.lexDefault()
}

func isPathChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == '+'
}

func isIDStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isIDChar(c byte) bool {
	return isIDStart(c) || '0' <= c && c <= '9' || c == '\'' || c == '-'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isURIChar(c byte) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return true
	}
	return strings.IndexByte("%/?:@&=+$,-_.!~*'", c) >= 0
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
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.' {
			j++
			continue
		}
		break
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

var keywords = map[string]tokKind{
	"if": tIF, "then": tTHEN, "else": tELSE, "assert": tASSERT, "with": tWITH,
	"let": tLET, "in": tIN, "rec": tREC, "inherit": tINHERIT, "or": tORKW,
}

func keyword(s string) (tokKind, bool) {
	if len(s) < 2 || len(s) > 7 {
		return 0, false
	}
	k, ok := keywords[s]
	return k, ok
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

func (s *scanner) lexDefault() token {
	src := s.src
	for {
		i := s.off
		if i >= len(src) {
			return s.tok(tEOF)
		}
		c := src[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			j := i + 1
			for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r' || src[j] == '\n') {
				j++
			}
			s.match(j - i)
			continue
		case '#':
			j := i + 1
			for j < len(src) && src[j] != '\r' && src[j] != '\n' {
				j++
			}
			s.matchFlat(j - i)
			continue
		case '/':
			if i+1 < len(src) && src[i+1] == '*' {
				if end := strings.Index(src[i+2:], "*/"); end >= 0 {
					s.match(end + 4)
					continue
				}
			}
		}
		return s.lexDefaultToken(i, c)
	}
}

func (s *scanner) lexDefaultToken(i int, c byte) token {
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
		return s.tok(opKind)
	case ruleID:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		if k, ok := keyword(text); ok {
			return s.tok(k)
		}
		t := s.tok(tID)
		t.text = text
		return t
	case ruleINT:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return s.errorAt("invalid integer '" + text + "'")
		}
		t := s.tok(tINT)
		t.text, t.ival = text, v
		return t
	case ruleFLOAT:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		v, ok := parseFloat(text)
		if !ok {
			return s.errorAt("invalid float '" + text + "'")
		}
		t := s.tok(tFLOAT)
		t.text, t.fval = text, v
		return t
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
		t := s.tok(k)
		t.text = text
		return t
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
		t := s.tok(k)
		t.text = text
		return t
	case ruleSPATH:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		t := s.tok(tSPATH)
		t.text = text
		return t
	case ruleURI:
		text := src[i : i+bestLen]
		s.matchFlat(bestLen)
		t := s.tok(tURI)
		t.text = text
		return t
	}

	// A single character.
	s.match(1)
	switch c {
	case 0:
		// lexer.l returns the byte itself; 0 is Bison's end of file.
		return s.tok(tEOF)
	case '}':
		if s.state != stInitial {
			s.pop()
		}
		return s.tok(tRBRACE)
	case '{':
		s.push(stDefault)
		return s.tok(tLBRACE)
	case '"':
		s.push(stString)
		return s.tok(tQUOTE)
	}
	if k := charTokens[c]; k != 0 {
		return s.tok(k)
	}
	return s.tok(tInvalid)
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
