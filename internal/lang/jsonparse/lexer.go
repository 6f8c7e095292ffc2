package jsonparse

import (
	"strconv"
	"unicode/utf8"
)

// token is a lexical token, named as nlohmann::json names them in messages.
type token uint8

const (
	tUninitialized token = iota
	tTrue
	tFalse
	tNull
	tString
	tUnsigned
	tInteger
	tFloat
	tBeginArray
	tBeginObject
	tEndArray
	tEndObject
	tNameSep
	tValueSep
	tParseError
	tEOF
	tLiteralOrValue
)

var tokenNames = [...]string{
	tUninitialized:  "<uninitialized>",
	tTrue:           "true literal",
	tFalse:          "false literal",
	tNull:           "null literal",
	tString:         "string literal",
	tUnsigned:       "number literal",
	tInteger:        "number literal",
	tFloat:          "number literal",
	tBeginArray:     "'['",
	tBeginObject:    "'{'",
	tEndArray:       "']'",
	tEndObject:      "'}'",
	tNameSep:        "':'",
	tValueSep:       "','",
	tParseError:     "<parse error>",
	tEOF:            "end of input",
	tLiteralOrValue: "'[', '{', or a literal",
}

const eof = -1

// lexer reproduces nlohmann's lexer byte for byte, including its position
// bookkeeping (which is what error messages report) and its "token string",
// the raw bytes read since the last string or number token started.
type lexer struct {
	in    string
	pos   int  // index of the next byte to read
	cur   int  // last character read, or eof
	unget bool // the next get returns cur again

	total int // chars_read_total; only its being zero matters (BOM check)
	col   int // chars_read_current_line
	lines int // lines_read

	tokStart int // start of the token string in in

	errMsg string // lexer error description for tParseError

	str  string // value of tString
	buf  []byte // scratch for strings with escapes
	uval uint64
	ival int64
	fval float64
}

func (l *lexer) get() int {
	l.total++
	l.col++
	if l.unget {
		l.unget = false
	} else if l.pos < len(l.in) {
		l.cur = int(l.in[l.pos])
		l.pos++
	} else {
		l.cur = eof
	}
	if l.cur == '\n' {
		l.lines++
		l.col = 0
	}
	return l.cur
}

// ungetc mirrors nlohmann's unget, including its quirk of not restoring the
// column when a newline is pushed back.
func (l *lexer) ungetc() {
	l.unget = true
	l.total--
	if l.col == 0 {
		if l.lines > 0 {
			l.lines--
		}
	} else {
		l.col--
	}
}

// reset starts a new token string at the current character.
func (l *lexer) reset() {
	l.tokStart = l.pos - 1
}

// tokenString is the raw token string with bytes <= 0x1F shown as <U+XXXX>.
func (l *lexer) tokenString() string {
	end := l.pos
	if l.unget && l.cur != eof {
		end--
	}
	if l.tokStart >= end {
		return ""
	}
	raw := l.in[l.tokStart:end]
	clean := true
	for i := 0; i < len(raw); i++ {
		if raw[i] <= 0x1F {
			clean = false
			break
		}
	}
	if clean {
		return raw
	}
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(raw)+16)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c <= 0x1F {
			out = append(out, "<U+00"...)
			out = append(out, hex[c>>4], hex[c&15], '>')
		} else {
			out = append(out, c)
		}
	}
	return string(out)
}

func (l *lexer) skipBOM() bool {
	if l.get() == 0xEF {
		return l.get() == 0xBB && l.get() == 0xBF
	}
	l.ungetc()
	return true
}

func (l *lexer) scan() token {
	if l.total == 0 && !l.skipBOM() {
		l.errMsg = "invalid BOM; must be 0xEF 0xBB 0xBF if given"
		return tParseError
	}
	for {
		c := l.get()
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
	}
	switch c := l.cur; c {
	case '[':
		return tBeginArray
	case ']':
		return tEndArray
	case '{':
		return tBeginObject
	case '}':
		return tEndObject
	case ':':
		return tNameSep
	case ',':
		return tValueSep
	case 't':
		return l.scanLiteral("true", tTrue)
	case 'f':
		return l.scanLiteral("false", tFalse)
	case 'n':
		return l.scanLiteral("null", tNull)
	case '"':
		return l.scanString()
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return l.scanNumber()
	case 0, eof:
		return tEOF
	default:
		l.errMsg = "invalid literal"
		return tParseError
	}
}

func (l *lexer) scanLiteral(lit string, t token) token {
	for i := 1; i < len(lit); i++ {
		if l.get() != int(lit[i]) {
			l.errMsg = "invalid literal"
			return tParseError
		}
	}
	return t
}

// controlNames are the ASCII names of the control characters, as used in
// nlohmann's "must be escaped" messages.
var controlNames = [32]string{
	"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL",
	"BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
	"CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
}

// shortEscapes names the two-character escape offered for some control characters.
var shortEscapes = [32]byte{8: 'b', 9: 't', 10: 'n', 12: 'f', 13: 'r'}

func controlMessage(c int) string {
	const hex = "0123456789ABCDEF"
	code := "U+00" + string([]byte{hex[c>>4], hex[c&15]})
	msg := "invalid string: control character " + code + " (" + controlNames[c] +
		") must be escaped to \\u00" + code[4:]
	if e := shortEscapes[c]; e != 0 {
		msg += " or \\" + string(e)
	}
	return msg
}

// utf8Ranges gives, for each lead byte of a multi-byte sequence, the allowed
// ranges of its continuation bytes (RFC 3629 well-formed sequences).
func utf8Ranges(c int) (ranges [3][2]int, n int) {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return [3][2]int{{0x80, 0xBF}}, 1
	case c == 0xE0:
		return [3][2]int{{0xA0, 0xBF}, {0x80, 0xBF}}, 2
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		return [3][2]int{{0x80, 0xBF}, {0x80, 0xBF}}, 2
	case c == 0xED:
		return [3][2]int{{0x80, 0x9F}, {0x80, 0xBF}}, 2
	case c == 0xF0:
		return [3][2]int{{0x90, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}}, 3
	case c >= 0xF1 && c <= 0xF3:
		return [3][2]int{{0x80, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}}, 3
	case c == 0xF4:
		return [3][2]int{{0x80, 0x8F}, {0x80, 0xBF}, {0x80, 0xBF}}, 3
	}
	return ranges, 0
}

// scanString scans a string whose opening quote is the current character.
// Runs of plain bytes are skipped in bulk; a string without escapes becomes
// a substring of the input.
func (l *lexer) scanString() token {
	l.reset()
	in := l.in
	seg := l.pos // start of the raw run not yet copied to buf
	escaped := false
	l.buf = l.buf[:0]
	for {
		// Fast path: printable ASCII and well-formed UTF-8 sequences.
		// Neither contains a newline, so only the column moves.
		i := l.pos
		for i < len(in) {
			c := in[i]
			if c < 0x80 {
				if c < 0x20 || c == '"' || c == '\\' {
					break
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(in[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		if n := i - l.pos; n > 0 {
			l.total += n
			l.col += n
			l.pos = i
			l.cur = int(in[i-1])
		}

		switch c := l.get(); {
		case c == eof:
			l.errMsg = "invalid string: missing closing quote"
			return tParseError
		case c == '"':
			if escaped {
				l.buf = append(l.buf, in[seg:l.pos-1]...)
				l.str = string(l.buf)
			} else {
				l.str = in[seg : l.pos-1]
			}
			return tString
		case c == '\\':
			l.buf = append(l.buf, in[seg:l.pos-1]...)
			escaped = true
			if !l.scanEscape() {
				return tParseError
			}
			seg = l.pos
		case c < 0x20:
			l.errMsg = controlMessage(c)
			return tParseError
		case c < 0x80:
			// unreachable: the fast path consumed it
		default:
			ranges, n := utf8Ranges(c)
			if n == 0 {
				l.errMsg = "invalid string: ill-formed UTF-8 byte"
				return tParseError
			}
			for k := 0; k < n; k++ {
				if d := l.get(); d < ranges[k][0] || d > ranges[k][1] {
					l.errMsg = "invalid string: ill-formed UTF-8 byte"
					return tParseError
				}
			}
		}
	}
}

// scanEscape handles the character after a backslash, appending its
// decoding to buf.
func (l *lexer) scanEscape() bool {
	switch l.get() {
	case '"':
		l.buf = append(l.buf, '"')
	case '\\':
		l.buf = append(l.buf, '\\')
	case '/':
		l.buf = append(l.buf, '/')
	case 'b':
		l.buf = append(l.buf, '\b')
	case 'f':
		l.buf = append(l.buf, '\f')
	case 'n':
		l.buf = append(l.buf, '\n')
	case 'r':
		l.buf = append(l.buf, '\r')
	case 't':
		l.buf = append(l.buf, '\t')
	case 'u':
		cp := l.codepoint()
		if cp < 0 {
			l.errMsg = "invalid string: '\\u' must be followed by 4 hex digits"
			return false
		}
		switch {
		case cp >= 0xD800 && cp <= 0xDBFF:
			if l.get() != '\\' || l.get() != 'u' {
				l.errMsg = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"
				return false
			}
			cp2 := l.codepoint()
			if cp2 < 0 {
				l.errMsg = "invalid string: '\\u' must be followed by 4 hex digits"
				return false
			}
			if cp2 < 0xDC00 || cp2 > 0xDFFF {
				l.errMsg = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"
				return false
			}
			cp = 0x10000 + (cp-0xD800)<<10 + (cp2 - 0xDC00)
		case cp >= 0xDC00 && cp <= 0xDFFF:
			l.errMsg = "invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF"
			return false
		}
		l.buf = utf8.AppendRune(l.buf, rune(cp))
	default:
		l.errMsg = "invalid string: forbidden character after backslash"
		return false
	}
	return true
}

// codepoint reads the four hex digits after \u; -1 if one is not a hex digit.
func (l *lexer) codepoint() int {
	cp := 0
	for k := 0; k < 4; k++ {
		c := l.get()
		switch {
		case c >= '0' && c <= '9':
			cp = cp<<4 | (c - '0')
		case c >= 'A' && c <= 'F':
			cp = cp<<4 | (c - 'A' + 10)
		case c >= 'a' && c <= 'f':
			cp = cp<<4 | (c - 'a' + 10)
		default:
			return -1
		}
	}
	return cp
}

func isDigit(c int) bool { return c >= '0' && c <= '9' }

// scanNumber scans a number starting at the current character with the
// RFC 8259 state machine, then converts it as nlohmann does: strtoull for
// plain integers, strtoll for negative ones, strtod when there is a fraction
// or exponent or the integer conversion overflows.
func (l *lexer) scanNumber() token {
	l.reset()
	t := tUnsigned
	c := l.cur
	if c == '-' {
		t = tInteger
		c = l.get()
		if !isDigit(c) {
			l.errMsg = "invalid number; expected digit after '-'"
			return tParseError
		}
	}
	// c is the first digit
	c = l.get()
	if l.in[l.tokStart+btoi(t == tInteger)] != '0' {
		for isDigit(c) {
			c = l.get()
		}
	}
	if c == '.' {
		t = tFloat
		if !isDigit(l.get()) {
			l.errMsg = "invalid number; expected digit after '.'"
			return tParseError
		}
		c = l.get()
		for isDigit(c) {
			c = l.get()
		}
	}
	if c == 'e' || c == 'E' {
		t = tFloat
		c = l.get()
		if c == '+' || c == '-' {
			if !isDigit(l.get()) {
				l.errMsg = "invalid number; expected digit after exponent sign"
				return tParseError
			}
		} else if !isDigit(c) {
			l.errMsg = "invalid number; expected '+', '-', or digit after exponent"
			return tParseError
		}
		c = l.get()
		for isDigit(c) {
			c = l.get()
		}
	}
	l.ungetc()

	end := l.pos
	if l.cur != eof {
		end--
	}
	text := l.in[l.tokStart:end]
	switch t {
	case tUnsigned:
		if u, ok := parseUint(text); ok {
			l.uval = u
			return tUnsigned
		}
	case tInteger:
		if u, ok := parseUint(text[1:]); ok && u <= 1<<63 {
			l.ival = -int64(u)
			return tInteger
		}
	}
	// Syntax was checked above; only a range error is possible, and strtod
	// also returns ±Inf then, which the parser reports as overflow.
	l.fval, _ = strconv.ParseFloat(text, 64)
	return tFloat
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseUint parses a string of decimal digits; ok is false on overflow.
func parseUint(s string) (uint64, bool) {
	if len(s) <= 19 {
		var u uint64
		for i := 0; i < len(s); i++ {
			u = u*10 + uint64(s[i]-'0')
		}
		return u, true
	}
	u, err := strconv.ParseUint(s, 10, 64)
	return u, err == nil
}
