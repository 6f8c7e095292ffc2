package eval

import (
	"fmt"
	"sort"
	"strings"

	"gonix/internal/lang/ast"
)

// ErrorKind classifies evaluation errors. Only Throw and Assert are
// caught by builtins.tryEval.
type ErrorKind uint8

const (
	ErrEval      ErrorKind = iota // ordinary evaluation error
	ErrThrow                      // builtins.throw
	ErrAssert                     // a failed assert
	ErrAbort                      // builtins.abort
	ErrInfRec                     // infinite recursion
	ErrStack                      // depth limit
	ErrUsage                      // a usage error (prints a "Try --help" line)
	ErrParse                      // syntax error
	ErrUndefined                  // undefined variable
)

// TraceEntry is one "while evaluating …" line of --show-trace.
type TraceEntry struct {
	Pos ast.Pos
	Msg string
}

// Error is a Nix evaluation error. Inside the evaluator it travels as a
// panic (see docs/design/evaluator-errors.md) and is recovered at the API
// boundary, where it is returned as an ordinary error.
type Error struct {
	Kind        ErrorKind
	Msg         string
	Pos         ast.Pos
	Suggestions []string
	Trace       []TraceEntry
}

func (e *Error) Error() string { return e.Msg }

func throwErr(e *Error) { panic(e) }

func (st *State) fail(pos ast.Pos, format string, args ...any) {
	panic(&Error{Msg: fmt.Sprintf(format, args...), Pos: pos})
}

func (st *State) failKind(kind ErrorKind, pos ast.Pos, format string, args ...any) {
	panic(&Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Pos: pos})
}

// traceFrame is a "while evaluating …" line that applies while some
// evaluation is in progress. Frames are pushed and popped around the
// evaluation instead of being added by a recovering defer: re-raising a
// panic at every level of a deep recursion costs time quadratic in the
// depth. The frames still on the stack when an error is caught are the
// ones the error passed through; collectTraces turns them into the
// error's trace, innermost first.
type traceFrame struct {
	pos ast.Pos
	msg string
	// a select's frame computes its message only when needed
	env *Env
	sel *ast.Select
}

func (st *State) pushTrace(f traceFrame) { st.traces = append(st.traces, f) }

func (st *State) popTrace() {
	st.traces[len(st.traces)-1] = traceFrame{}
	st.traces = st.traces[:len(st.traces)-1]
}

// collectTraces moves the frames above mark into err, innermost first.
func (st *State) collectTraces(err *Error, mark int) {
	for i := len(st.traces) - 1; i >= mark; i-- {
		f := st.traces[i]
		msg := f.msg
		if f.sel != nil {
			msg = "while evaluating the attribute '" + st.showAttrPath(f.env, f.sel.Path) + "'"
		}
		err.Trace = append(err.Trace, TraceEntry{Pos: f.pos, Msg: msg})
		st.traces[i] = traceFrame{}
	}
	if mark < len(st.traces) {
		st.traces = st.traces[:mark]
	}
}

// traceGuard, deferred as `defer st.traceGuard(len(st.traces), pos, msg)`,
// adds a trace line to an error raised below it (after the frames it
// passed through).
func (st *State) traceGuard(mark int, pos ast.Pos, msg string) {
	if r := recover(); r != nil {
		if e, ok := r.(*Error); ok {
			st.collectTraces(e, mark)
			e.Trace = append(e.Trace, TraceEntry{Pos: pos, Msg: msg})
		}
		panic(r)
	}
}

// showType is Nix's showType wording (spec §6.2).
func showType(v *Value) string {
	switch v.kind {
	case KInt:
		return "an integer"
	case KFloat:
		return "a float"
	case KBool:
		return "a Boolean"
	case KString:
		if len(v.Str().Ctx) > 0 {
			return "a string with context"
		}
		return "a string"
	case KPath:
		return "a path"
	case KNull:
		return "null"
	case KAttrs:
		return "a set"
	case KList:
		return "a list"
	case KLambda:
		return "a function"
	case KPrimOp:
		return "the built-in function '" + (*PrimOp)(v.p).Name + "'"
	case KPrimOpApp:
		return "the partially applied built-in function '" + (*PrimOpApp)(v.p).Op.Name + "'"
	case KThunk:
		return "a thunk"
	case KApp, KGenApp:
		return "a function application"
	case KBlackhole, KBlackholeApp, KBlackholeGen:
		return "a black hole"
	}
	return "an unknown value"
}

// typeName is builtins.typeOf.
func typeName(v *Value) string {
	switch v.kind {
	case KInt:
		return "int"
	case KFloat:
		return "float"
	case KBool:
		return "bool"
	case KString:
		return "string"
	case KPath:
		return "path"
	case KNull:
		return "null"
	case KAttrs:
		return "set"
	case KList:
		return "list"
	case KLambda, KPrimOp, KPrimOpApp:
		return "lambda"
	}
	return "thunk"
}

// suggestions ranks candidates by Levenshtein distance (≤ 2, at most 5)
// then alphabetically, as Nix's Suggestions::bestMatches.
func suggestions(want string, cands []string) []string {
	type sc struct {
		d int
		s string
	}
	var out []sc
	for _, c := range cands {
		d := levenshtein(want, c)
		if d <= 2 {
			out = append(out, sc{d, c})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].d != out[j].d {
			return out[i].d < out[j].d
		}
		return out[i].s < out[j].s
	})
	if len(out) > 5 {
		out = out[:5]
	}
	res := make([]string, len(out))
	for i, x := range out {
		res[i] = x.s
	}
	return res
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// SuggestionText renders "Did you mean …?" or "".
func SuggestionText(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return "Did you mean " + s[0] + "?"
	}
	return "Did you mean one of " + strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1] + "?"
}
