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

// frame is one open array or object.
type frame struct {
	array bool
	mark  int // where its elements start in parser.vals or parser.mems
}

type parser struct {
	lx     lexer
	tok    token
	frames []frame
	vals   []Value  // elements of the open arrays
	mems   []Member // members of the open objects
	root   Value
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
	p := parser{lx: lexer{in: s, cur: eof}}
	p.vals = make([]Value, 0, 64)
	p.mems = make([]Member, 0, 64)
	p.next()
	if err := p.parseValue(); err != nil {
		return Value{}, err
	}
	if p.next() != tEOF {
		return Value{}, p.syntaxError(tEOF, "value")
	}
	return p.root, nil
}

func (p *parser) next() token {
	p.tok = p.lx.scan()
	return p.tok
}

// add attaches a finished value to the innermost open container, or makes
// it the result.
func (p *parser) add(v Value) {
	switch {
	case len(p.frames) == 0:
		p.root = v
	case p.frames[len(p.frames)-1].array:
		p.vals = append(p.vals, v)
	default:
		p.mems[len(p.mems)-1].Val = v
	}
}

// parseValue follows nlohmann's sax_parse_internal: the same tokens are
// read in the same order, so errors are found at the same place.
func (p *parser) parseValue() error {
	closed := false // a container was just closed: skip to the state check
	for {
		if !closed {
			switch p.tok {
			case tBeginObject:
				if p.next() == tEndObject {
					p.add(Value{Kind: Object})
					break
				}
				if p.tok != tString {
					return p.syntaxError(tString, "object key")
				}
				key := p.lx.str
				if p.next() != tNameSep {
					return p.syntaxError(tNameSep, "object separator")
				}
				p.frames = append(p.frames, frame{array: false, mark: len(p.mems)})
				p.mems = append(p.mems, Member{Key: key})
				p.next()
				continue
			case tBeginArray:
				if p.next() == tEndArray {
					p.add(Value{Kind: Array})
					break
				}
				p.frames = append(p.frames, frame{array: true, mark: len(p.vals)})
				continue
			case tFloat:
				f := p.lx.fval
				if math.IsInf(f, 0) {
					return &SyntaxError{msg: "[json.exception.out_of_range.406] number overflow parsing '" +
						p.lx.tokenString() + "'"}
				}
				p.add(Value{Kind: Float, Float: f})
			case tFalse:
				p.add(Value{Kind: Bool})
			case tTrue:
				p.add(Value{Kind: Bool, Bool: true})
			case tNull:
				p.add(Value{Kind: Null})
			case tInteger:
				p.add(Value{Kind: Int, Int: p.lx.ival})
			case tUnsigned:
				p.add(Value{Kind: Int, Int: int64(p.lx.uval)})
			case tString:
				s := p.lx.str
				if i := strings.IndexByte(s, 0); i >= 0 {
					s = s[:i]
				}
				p.add(Value{Kind: String, Str: s})
			case tParseError:
				return p.syntaxError(tUninitialized, "value")
			default:
				return p.syntaxError(tLiteralOrValue, "value")
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
				return p.syntaxError(tEndArray, "array")
			}
			elems := p.vals[top.mark:]
			arr := make([]Value, len(elems))
			copy(arr, elems)
			p.vals = p.vals[:top.mark]
			p.frames = p.frames[:len(p.frames)-1]
			p.add(Value{Kind: Array, Arr: arr})
			closed = true
			continue
		}
		if p.next() == tValueSep {
			if p.next() != tString {
				return p.syntaxError(tString, "object key")
			}
			key := p.lx.str
			if p.next() != tNameSep {
				return p.syntaxError(tNameSep, "object separator")
			}
			p.mems = append(p.mems, Member{Key: key})
			p.next()
			continue
		}
		if p.tok != tEndObject {
			return p.syntaxError(tEndObject, "object")
		}
		mems := p.mems[top.mark:]
		obj := make([]Member, len(mems))
		copy(obj, mems)
		p.mems = p.mems[:top.mark]
		p.frames = p.frames[:len(p.frames)-1]
		p.add(Value{Kind: Object, Obj: obj})
		closed = true
	}
}

// syntaxError builds parse_error.101 as nlohmann's exception_message does.
func (p *parser) syntaxError(expected token, context string) error {
	l := &p.lx
	var b strings.Builder
	b.WriteString("[json.exception.parse_error.101] parse error at line ")
	b.WriteString(strconv.Itoa(l.lines + 1))
	b.WriteString(", column ")
	b.WriteString(strconv.Itoa(l.col))
	b.WriteString(": syntax error while parsing ")
	b.WriteString(context)
	b.WriteString(" - ")
	if p.tok == tParseError {
		b.WriteString(l.errMsg)
		b.WriteString("; last read: '")
		b.WriteString(l.tokenString())
		b.WriteString("'")
	} else {
		b.WriteString("unexpected ")
		b.WriteString(tokenNames[p.tok])
	}
	if expected != tUninitialized {
		b.WriteString("; expected ")
		b.WriteString(tokenNames[expected])
	}
	return &SyntaxError{Line: l.lines + 1, Column: l.col, msg: b.String()}
}
