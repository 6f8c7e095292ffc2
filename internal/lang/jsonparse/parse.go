package jsonparse

import (
	"math"
	"strconv"
	"strings"
)

// SyntaxError is a parse failure. Error returns exactly the what() text of
// the nlohmann::json exception Nix 2.8 reports, e.g.
//
//	[json.exception.parse_error.101] parse error at line 1, column 4: syntax error while parsing value - unexpected ']'; expected '[', '{', or a literal
//	[json.exception.out_of_range.406] number overflow parsing '1e400'
type SyntaxError struct {
	Line, Column int // as nlohmann counts them (0 for out_of_range errors)
	msg          string
}

func (e *SyntaxError) Error() string { return e.msg }

// Builder makes the values of a document while it is parsed, so that a
// caller (the evaluator) gets its own representation without an
// intermediate tree. K is the representation of an object key, V of a
// value.
//
// The parser calls Key as soon as an object key has been read, before its
// value is parsed (Nix interns keys in that order), and Array or Object
// when a container closes, with its members in document order, duplicate
// keys included. The slices passed to Array and Object belong to the
// parser and are only valid during the call.
type Builder[K, V any] interface {
	Null() V
	Bool(b bool) V
	Int(i int64) V
	Float(f float64) V
	String(s string) V
	Key(s string) K
	Array(elems []V) V
	Object(keys []K, vals []V) V
}

// frame is one open array or object.
type frame struct {
	array bool
	vmark int // where its elements (values) start in parser.vals
	kmark int // where an object's keys start in parser.keys
}

type parser[K, V any] struct {
	lx     lexer
	tok    token
	b      Builder[K, V]
	frames []frame
	vals   []V // elements and member values of the open containers
	keys   []K // keys of the open objects
	root   V
}

// Parse parses s as one JSON value followed by optional whitespace.
//
// Numbers follow Nix 2.8: an integer that fits in uint64 is an Int (values
// above the int64 maximum wrap to negative); an integer out of range, or a
// number with a fraction or exponent, is a Float; a float that overflows is
// an error. A string value is cut at its first NUL (decoded from \u0000),
// because Nix builds its string from a C string; object keys are not cut.
//
// The parse is iterative, so deep nesting cannot overflow the stack.
func Parse(s string) (Value, error) {
	return ParseWith[string, Value](s, treeBuilder{})
}

// ParseWith parses s as Parse does, making the values with b. On an
// error, the values b made so far are dropped.
func ParseWith[K, V any](s string, b Builder[K, V]) (V, error) {
	p := parser[K, V]{lx: lexer{in: s, cur: eof}, b: b}
	p.vals = make([]V, 0, 64)
	p.keys = make([]K, 0, 16)
	var zero V
	p.next()
	if err := p.parseValue(); err != nil {
		return zero, err
	}
	if p.next() != tEOF {
		return zero, p.lx.syntaxError(p.tok, tEOF, "value")
	}
	return p.root, nil
}

func (p *parser[K, V]) next() token {
	p.tok = p.lx.scan()
	return p.tok
}

// add attaches a finished value to the innermost open container, or makes
// it the result.
func (p *parser[K, V]) add(v V) {
	if len(p.frames) == 0 {
		p.root = v
		return
	}
	p.vals = append(p.vals, v)
}

// parseValue follows nlohmann's sax_parse_internal: the same tokens are
// read in the same order, so errors are found at the same place.
func (p *parser[K, V]) parseValue() error {
	closed := false // a container was just closed: skip to the state check
	for {
		if !closed {
			switch p.tok {
			case tBeginObject:
				if p.next() == tEndObject {
					p.add(p.b.Object(nil, nil))
					break
				}
				if p.tok != tString {
					return p.lx.syntaxError(p.tok, tString, "object key")
				}
				key := p.lx.str
				if p.next() != tNameSep {
					return p.lx.syntaxError(p.tok, tNameSep, "object separator")
				}
				p.frames = append(p.frames, frame{vmark: len(p.vals), kmark: len(p.keys)})
				p.keys = append(p.keys, p.b.Key(key))
				p.next()
				continue
			case tBeginArray:
				if p.next() == tEndArray {
					p.add(p.b.Array(nil))
					break
				}
				p.frames = append(p.frames, frame{array: true, vmark: len(p.vals)})
				continue
			case tFloat:
				f := p.lx.fval
				if math.IsInf(f, 0) {
					return &SyntaxError{msg: "[json.exception.out_of_range.406] number overflow parsing '" +
						p.lx.tokenString() + "'"}
				}
				p.add(p.b.Float(f))
			case tFalse:
				p.add(p.b.Bool(false))
			case tTrue:
				p.add(p.b.Bool(true))
			case tNull:
				p.add(p.b.Null())
			case tInteger:
				p.add(p.b.Int(p.lx.ival))
			case tUnsigned:
				p.add(p.b.Int(int64(p.lx.uval)))
			case tString:
				s := p.lx.str
				if i := strings.IndexByte(s, 0); i >= 0 {
					s = s[:i]
				}
				p.add(p.b.String(s))
			case tParseError:
				return p.lx.syntaxError(p.tok, tUninitialized, "value")
			default:
				return p.lx.syntaxError(p.tok, tLiteralOrValue, "value")
			}
		}
		closed = false

		if len(p.frames) == 0 {
			return nil
		}
		top := p.frames[len(p.frames)-1]
		if top.array {
			if p.next() == tValueSep {
				p.next()
				continue
			}
			if p.tok != tEndArray {
				return p.lx.syntaxError(p.tok, tEndArray, "array")
			}
			v := p.b.Array(p.vals[top.vmark:])
			p.vals = p.vals[:top.vmark]
			p.frames = p.frames[:len(p.frames)-1]
			p.add(v)
			closed = true
			continue
		}
		if p.next() == tValueSep {
			if p.next() != tString {
				return p.lx.syntaxError(p.tok, tString, "object key")
			}
			key := p.lx.str
			if p.next() != tNameSep {
				return p.lx.syntaxError(p.tok, tNameSep, "object separator")
			}
			p.keys = append(p.keys, p.b.Key(key))
			p.next()
			continue
		}
		if p.tok != tEndObject {
			return p.lx.syntaxError(p.tok, tEndObject, "object")
		}
		v := p.b.Object(p.keys[top.kmark:], p.vals[top.vmark:])
		p.keys = p.keys[:top.kmark]
		p.vals = p.vals[:top.vmark]
		p.frames = p.frames[:len(p.frames)-1]
		p.add(v)
		closed = true
	}
}

// syntaxError builds parse_error.101 as nlohmann's exception_message
// does; tok is the token last read.
func (l *lexer) syntaxError(tok, expected token, context string) error {
	var b strings.Builder
	b.WriteString("[json.exception.parse_error.101] parse error at line ")
	b.WriteString(strconv.Itoa(l.lines + 1))
	b.WriteString(", column ")
	b.WriteString(strconv.Itoa(l.col))
	b.WriteString(": syntax error while parsing ")
	b.WriteString(context)
	b.WriteString(" - ")
	if tok == tParseError {
		b.WriteString(l.errMsg)
		b.WriteString("; last read: '")
		b.WriteString(l.tokenString())
		b.WriteString("'")
	} else {
		b.WriteString("unexpected ")
		b.WriteString(tokenNames[tok])
	}
	if expected != tUninitialized {
		b.WriteString("; expected ")
		b.WriteString(tokenNames[expected])
	}
	return &SyntaxError{Line: l.lines + 1, Column: l.col, msg: b.String()}
}
