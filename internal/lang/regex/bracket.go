package regex

// Bracket expressions as libstdc++'s _BracketMatcher evaluates them in the
// "C" locale (Nix never installs a global C++ locale): character classes
// follow the classic ctype table (nothing above 0x7f is in any class),
// ranges compare bytes as signed chars, equivalence classes compare
// lower-cased bytes.

// byteSet is a set of bytes.
type byteSet [4]uint64

func (s *byteSet) add(b byte)       { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool  { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) union(t *byteSet) { s[0] |= t[0]; s[1] |= t[1]; s[2] |= t[2]; s[3] |= t[3] }
func (s *byteSet) addRange(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		s.add(byte(c))
	}
}

// classSet returns the bytes of a character class name as
// regex_traits::lookup_classname knows it (the name lower-cased first).
func classSet(name string) (byteSet, bool) {
	var s byteSet
	lower := make([]byte, len(name))
	for i := 0; i < len(name); i++ {
		lower[i] = toLower(name[i])
	}
	switch string(lower) {
	case "d", "digit":
		s.addRange('0', '9')
	case "w":
		s.addRange('0', '9')
		s.addRange('A', 'Z')
		s.addRange('a', 'z')
		s.add('_')
	case "s", "space":
		s.addRange('\t', '\r')
		s.add(' ')
	case "alnum":
		s.addRange('0', '9')
		s.addRange('A', 'Z')
		s.addRange('a', 'z')
	case "alpha":
		s.addRange('A', 'Z')
		s.addRange('a', 'z')
	case "blank":
		s.add(' ')
		s.add('\t')
	case "cntrl":
		s.addRange(0, 0x1f)
		s.add(0x7f)
	case "graph":
		s.addRange(0x21, 0x7e)
	case "lower":
		s.addRange('a', 'z')
	case "print":
		s.addRange(0x20, 0x7e)
	case "punct":
		for c := byte(0x21); c <= 0x7e; c++ {
			if !isAlnum(c) {
				s.add(c)
			}
		}
	case "upper":
		s.addRange('A', 'Z')
	case "xdigit":
		s.addRange('0', '9')
		s.addRange('A', 'F')
		s.addRange('a', 'f')
	default:
		return s, false
	}
	return s, true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// collateNames are regex_traits::lookup_collatename's names of the bytes
// 0 to 127, in order.
var collateNames = [128]string{
	"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "alert", "backspace", "tab",
	"newline", "vertical-tab", "form-feed", "carriage-return", "SO", "SI", "DLE",
	"DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC",
	"IS4", "IS3", "IS2", "IS1", "space", "exclamation-mark", "quotation-mark",
	"number-sign", "dollar-sign", "percent-sign", "ampersand", "apostrophe",
	"left-parenthesis", "right-parenthesis", "asterisk", "plus-sign", "comma",
	"hyphen", "period", "slash", "zero", "one", "two", "three", "four", "five",
	"six", "seven", "eight", "nine", "colon", "semicolon", "less-than-sign",
	"equals-sign", "greater-than-sign", "question-mark", "commercial-at",
	"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
	"P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
	"left-square-bracket", "backslash", "right-square-bracket", "circumflex",
	"underscore", "grave-accent",
	"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
	"p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
	"left-curly-bracket", "vertical-line", "right-curly-bracket", "tilde", "DEL",
}

// lookupCollate returns the byte named by a collating element; the names
// are case-sensitive and a byte stands for itself only if it is its name
// ("a" but not "0", which is "zero").
func lookupCollate(name string) (byte, bool) {
	for i, n := range collateNames {
		if n == name {
			return byte(i), true
		}
	}
	return 0, false
}

type lastKind uint8

const (
	lastNone lastKind = iota
	lastChar
	lastClass
)

// bracketExpression parses "[...]" after the tokens of the opening
// bracket, as _M_insert_bracket_matcher and _M_expression_term do.
func (c *compiler) bracketExpression() bool {
	neg := c.matchToken(tokBracketNegBegin)
	if !neg && !c.matchToken(tokBracketBegin) {
		return false
	}
	var set byteSet
	var equiv byteSet // lower-cased bytes of equivalence classes
	last, lastCh := lastNone, byte(0)
	pushChar := func(ch byte) {
		if last == lastChar {
			set.add(lastCh)
		}
		last, lastCh = lastChar, ch
	}
	pushClass := func() {
		if last == lastChar {
			set.add(lastCh)
		}
		last = lastClass
	}
	if c.matchToken(tokOrdChar) {
		last, lastCh = lastChar, c.value[0]
	} else if c.matchToken(tokBracketDash) {
		// A dash first is an ordinary character.
		last, lastCh = lastChar, '-'
	}
	for !c.failed() {
		if c.matchToken(tokBracketEnd) {
			break
		}
		switch {
		case c.matchToken(tokCollSymbol):
			b, ok := lookupCollate(c.value)
			if !ok {
				c.fail(errCollate)
				return false
			}
			set.add(b)
			pushChar(b)
		case c.matchToken(tokEquivClassName):
			pushClass()
			b, ok := lookupCollate(c.value)
			if !ok {
				c.fail(errCollate)
				return false
			}
			equiv.add(toLower(b))
		case c.matchToken(tokCharClassName):
			pushClass()
			cs, ok := classSet(c.value)
			if !ok {
				c.fail(errCollate)
				return false
			}
			set.union(&cs)
		case c.matchToken(tokOrdChar):
			pushChar(c.value[0])
		case c.matchToken(tokBracketDash):
			if c.matchToken(tokBracketEnd) {
				// "-]": the dash is literal.
				pushChar('-')
				goto done
			}
			switch last {
			case lastClass:
				c.fail(errRange)
				return false
			case lastChar:
				var hi byte
				if c.matchToken(tokOrdChar) {
					hi = c.value[0]
				} else if c.matchToken(tokBracketDash) {
					hi = '-'
				} else {
					c.fail(errRange)
					return false
				}
				// char is signed: bytes >= 0x80 sort before NUL.
				lo := lastCh
				if int8(lo) > int8(hi) {
					c.fail(errRange)
					return false
				}
				for v := int(int8(lo)); v <= int(int8(hi)); v++ {
					set.add(byte(v))
				}
				last = lastNone
			default:
				// POSIX allows a dash only first, last or as a range end.
				c.fail(errRange)
				return false
			}
		default:
			c.fail(errBrack)
			return false
		}
	}
done:
	if c.failed() {
		return false
	}
	if last == lastChar {
		set.add(lastCh)
	}
	for b := 0; b < 256; b++ {
		if equiv.has(toLower(byte(b))) {
			set.add(byte(b))
		}
	}
	if neg {
		for i := range set {
			set[i] = ^set[i]
		}
	}
	idx := int32(len(c.sets))
	c.sets = append(c.sets, set)
	c.push(single(c.insert(state{op: opSet, next: noState, alt: noState, arg: idx})))
	return true
}
