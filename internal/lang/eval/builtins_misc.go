package eval

import (
	"math"
	"strings"

	"gonix/internal/lang/ast"
)

// Type tests, arithmetic and control builtins (spec §4.2, §4.5, §4.8), in
// the order Nix 2.8 registers them in primops.cc.
var miscBuiltins = []builtinDef{
	{name: "typeOf", arity: 1, fn: primTypeOf},
	{name: "isNull", arity: 1, topLevel: true, fn: primIsKind(KNull)},
	{name: "isFunction", arity: 1, fn: primIsFunction},
	{name: "isInt", arity: 1, fn: primIsKind(KInt)},
	{name: "isFloat", arity: 1, fn: primIsKind(KFloat)},
	{name: "isString", arity: 1, fn: primIsKind(KString)},
	{name: "isBool", arity: 1, fn: primIsKind(KBool)},
	{name: "isPath", arity: 1, fn: primIsKind(KPath)},
	{name: "abort", arity: 1, topLevel: true, fn: primAbort},
	{name: "throw", arity: 1, topLevel: true, fn: primThrow},
	{name: "addErrorContext", arity: 2, fn: primAddErrorContext},
	{name: "ceil", arity: 1, fn: primCeil},
	{name: "floor", arity: 1, fn: primFloor},
	{name: "tryEval", arity: 1, fn: primTryEval},
	{name: "getEnv", arity: 1, fn: primGetEnv},
	{name: "seq", arity: 2, fn: primSeq},
	{name: "deepSeq", arity: 2, fn: primDeepSeq},
	{name: "trace", arity: 2, fn: primTrace},
	{name: "isAttrs", arity: 1, fn: primIsKind(KAttrs)},
	{name: "isList", arity: 1, fn: primIsKind(KList)},
	{name: "add", arity: 2, fn: primAdd},
	{name: "sub", arity: 2, fn: primSub},
	{name: "mul", arity: 2, fn: primMul},
	{name: "div", arity: 2, fn: primDiv},
	{name: "bitAnd", arity: 2, fn: primBitAnd},
	{name: "bitOr", arity: 2, fn: primBitOr},
	{name: "bitXor", arity: 2, fn: primBitXor},
	{name: "lessThan", arity: 2, fn: primLessThan},
}

// Helpers shared by the builtin files of this group's author.

// valueBool checks a call result (already in WHNF unless a primop handed
// back an unevaluated cell) is a Boolean, without heap-allocating it in
// the common case.
func (st *State) valueBool(v Value, pos ast.Pos) bool {
	if v.kind == KBool {
		return v.n != 0
	}
	return st.forceBool(cell(v), pos)
}

// valueList is valueBool for lists.
func (st *State) valueList(v Value, pos ast.Pos) []*Value {
	if v.kind == KList {
		return v.Elems()
	}
	return st.forceList(cell(v), pos)
}

// determinePos is Nix's Value::determinePos: a lambda's own position,
// else fallback (set positions are not recorded by this evaluator).
func determinePos(v *Value, fallback ast.Pos) ast.Pos {
	switch v.kind {
	case KLambda:
		return (*ast.Lambda)(v.p).Pos
	case KGenApp:
		return determinePos((*genApp)(v.p).fn, fallback)
	case KApp:
		fn, _ := appParts(v)
		return determinePos(fn, fallback)
	}
	return fallback
}

// withTrace runs f and, if it fails with an evaluation error, appends a
// trace entry.
func (st *State) withTrace(pos ast.Pos, msg string, f func()) {
	defer st.traceGuard(len(st.traces), pos, msg)
	f()
}

func primTypeOf(st *State, pos ast.Pos, args []*Value) Value {
	st.force(args[0], pos)
	return StringValue(typeName(args[0]), nil)
}

func primIsKind(k Kind) func(st *State, pos ast.Pos, args []*Value) Value {
	return func(st *State, pos ast.Pos, args []*Value) Value {
		st.force(args[0], pos)
		return BoolValue(args[0].kind == k)
	}
}

func primIsFunction(st *State, pos ast.Pos, args []*Value) Value {
	st.force(args[0], pos)
	return BoolValue(args[0].isFunction())
}

// throw and abort messages are coerced with the default rules (paths are
// copied to the store, no coerceMore); neither error has a position.
func primAbort(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	s := st.coerceToString(pos, args[0], &ctx, false, true)
	throwErr(&Error{Kind: ErrAbort, Msg: "evaluation aborted with the following error message: '" + s + "'"})
	return Value{}
}

func primThrow(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	s := st.coerceToString(pos, args[0], &ctx, false, true)
	throwErr(&Error{Kind: ErrThrow, Msg: s})
	return Value{}
}

func primAddErrorContext(st *State, pos ast.Pos, args []*Value) Value {
	mark := len(st.traces)
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				st.collectTraces(e, mark)
				var ctx contextBuilder
				msg := st.coerceToString(pos, args[0], &ctx, false, true)
				e.Trace = append(e.Trace, TraceEntry{Msg: msg})
			}
			panic(r)
		}
	}()
	st.force(args[1], pos)
	return *args[1]
}

// floatToInt is the C conversion of a double to a 64-bit int on x86-64:
// out-of-range values and NaN give the "integer indefinite" value.
func floatToInt(f float64) int64 {
	if f != f || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

func primCeil(st *State, pos ast.Pos, args []*Value) Value {
	f := st.forceFloat(args[0], determinePos(args[0], pos))
	return IntValue(floatToInt(math.Ceil(f)))
}

func primFloor(st *State, pos ast.Pos, args []*Value) Value {
	f := st.forceFloat(args[0], determinePos(args[0], pos))
	return IntValue(floatToInt(math.Floor(f)))
}

// primTryEval catches only throw and assert failures (Nix's
// AssertionError and its subclass ThrownError).
func primTryEval(st *State, pos ast.Pos, args []*Value) (res Value) {
	m := st.mark()
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok || (e.Kind != ErrThrow && e.Kind != ErrAssert) {
				panic(r)
			}
			st.unwindTo(m)
			res = mkAttrs([]Attr{
				{Name: st.sValue, Val: cell(BoolValue(false))},
				{Name: st.sSuccess, Val: cell(BoolValue(false))},
			})
		}
	}()
	st.force(args[0], pos)
	return mkAttrs([]Attr{
		{Name: st.sValue, Val: args[0]},
		{Name: st.sSuccess, Val: cell(BoolValue(true))},
	})
}

func primGetEnv(st *State, pos ast.Pos, args []*Value) Value {
	name := st.forceStringNoCtx(args[0], pos)
	v, _ := st.opts.Getenv(name)
	return StringValue(v, nil)
}

func primSeq(st *State, pos ast.Pos, args []*Value) Value {
	st.force(args[0], pos)
	st.force(args[1], pos)
	return *args[1]
}

func primDeepSeq(st *State, pos ast.Pos, args []*Value) Value {
	st.deepForce(args[0], pos)
	st.force(args[1], pos)
	return *args[1]
}

// primTrace writes through Nix's logger, which on a non-terminal runs
// filterANSIEscapes over the line (tabs expanded, CR/BEL and escape
// sequences dropped).
func primTrace(st *State, pos ast.Pos, args []*Value) Value {
	st.force(args[0], pos)
	var msg string
	if args[0].kind == KString {
		msg = args[0].StrS()
	} else {
		msg = st.PrintString(args[0])
	}
	line := FilterANSIEscapes("trace: "+msg, true) + "\n"
	if st.stderr != nil {
		_, _ = st.stderr.Write([]byte(line))
	}
	st.force(args[1], pos)
	return *args[1]
}

// FilterANSIEscapes is Nix 2.8's filterANSIEscapes (libutil/util.cc) with
// no width limit, applied by its logger to each message: escape sequences
// are dropped (with filterAll, as on a non-terminal) or only SGR colour
// sequences kept (on a terminal); a tab becomes spaces up to the next
// multiple of 8 columns, counted from the start of the message (a newline
// does not reset the column, as in Nix); CR and BEL are dropped. A UTF-8
// sequence counts as one column.
func FilterANSIEscapes(s string, filterAll bool) string {
	if !strings.ContainsAny(s, "\x1b\t\r\a") {
		return s
	}
	var t strings.Builder
	t.Grow(len(s))
	w := 0
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == 0x1b:
			start := i
			i++
			var last byte
			if i < len(s) && s[i] == '[' {
				i++
				for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3f {
					i++
				}
				for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
					i++
				}
				if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
					last = s[i]
					i++
				}
			} else if i < len(s) && s[i] >= 0x40 && s[i] <= 0x5f {
				i++
			}
			if !filterAll && last == 'm' {
				t.WriteString(s[start:i])
			}
		case c == '\t':
			i++
			t.WriteByte(' ')
			w++
			for w%8 != 0 {
				t.WriteByte(' ')
				w++
			}
		case c == '\r' || c == '\a':
			i++
		default:
			w++
			// one UTF-8 character: the lead byte and the continuation
			// bytes its form announces
			n := 0
			switch {
			case c&0xe0 == 0xc0:
				n = 1
			case c&0xf0 == 0xe0:
				n = 2
			case c&0xf8 == 0xf0:
				n = 3
			}
			t.WriteByte(c)
			i++
			for ; n > 0 && i < len(s) && s[i]&0xc0 == 0x80; n-- {
				t.WriteByte(s[i])
				i++
			}
		}
	}
	return t.String()
}

// Arithmetic: both operands are forced first; a float on either side
// makes the result a float (spec §3.8).

func (st *State) arith(pos ast.Pos, args []*Value, fi func(a, b int64) int64, ff func(a, b float64) float64) Value {
	st.force(args[0], pos)
	st.force(args[1], pos)
	if args[0].kind == KFloat || args[1].kind == KFloat {
		a := st.forceFloat(args[0], pos)
		b := st.forceFloat(args[1], pos)
		return FloatValue(ff(a, b))
	}
	a := st.forceInt(args[0], pos)
	b := st.forceInt(args[1], pos)
	return IntValue(fi(a, b))
}

func primAdd(st *State, pos ast.Pos, args []*Value) Value {
	a, b := args[0], args[1]
	st.force(a, pos)
	st.force(b, pos)
	if a.kind == KInt && b.kind == KInt {
		return IntValue(a.n + b.n)
	}
	return st.arith(pos, args, func(a, b int64) int64 { return a + b }, func(a, b float64) float64 { return a + b })
}

func primSub(st *State, pos ast.Pos, args []*Value) Value {
	a, b := args[0], args[1]
	st.force(a, pos)
	st.force(b, pos)
	if a.kind == KInt && b.kind == KInt {
		return IntValue(a.n - b.n)
	}
	return st.arith(pos, args, func(a, b int64) int64 { return a - b }, func(a, b float64) float64 { return a - b })
}

func primMul(st *State, pos ast.Pos, args []*Value) Value {
	a, b := args[0], args[1]
	st.force(a, pos)
	st.force(b, pos)
	if a.kind == KInt && b.kind == KInt {
		return IntValue(a.n * b.n)
	}
	return st.arith(pos, args, func(a, b int64) int64 { return a * b }, func(a, b float64) float64 { return a * b })
}

func primDiv(st *State, pos ast.Pos, args []*Value) Value {
	st.force(args[0], pos)
	st.force(args[1], pos)
	if st.forceFloat(args[1], pos) == 0 {
		st.fail(pos, "division by zero")
	}
	if args[0].kind == KFloat || args[1].kind == KFloat {
		return FloatValue(st.forceFloat(args[0], pos) / st.forceFloat(args[1], pos))
	}
	a := st.forceInt(args[0], pos)
	b := st.forceInt(args[1], pos)
	if a == math.MinInt64 && b == -1 {
		st.fail(pos, "overflow in integer division")
	}
	return IntValue(a / b)
}

func primBitAnd(st *State, pos ast.Pos, args []*Value) Value {
	a := st.forceInt(args[0], pos)
	return IntValue(a & st.forceInt(args[1], pos))
}

func primBitOr(st *State, pos ast.Pos, args []*Value) Value {
	a := st.forceInt(args[0], pos)
	return IntValue(a | st.forceInt(args[1], pos))
}

func primBitXor(st *State, pos ast.Pos, args []*Value) Value {
	a := st.forceInt(args[0], pos)
	return IntValue(a ^ st.forceInt(args[1], pos))
}

func primLessThan(st *State, pos ast.Pos, args []*Value) Value {
	st.force(args[0], pos)
	st.force(args[1], pos)
	return BoolValue(st.lessThan(args[0], args[1], pos))
}
