package eval

import (
	"cmp"
	"errors"
	"strings"

	"gonix/internal/lang/ast"
	"gonix/internal/lang/jsonparse"
	"gonix/internal/lang/tomlparse"
)

// The serialisation builtins (spec §4.9), in Nix 2.8's registration
// order; fromTOML lives in its own file in Nix and registers last.
var jsonBuiltins = []builtinDef{
	{name: "toXML", arity: 1, fn: primToXML},
	{name: "toJSON", arity: 1, fn: primToJSON},
	{name: "fromJSON", arity: 1, fn: primFromJSON},
	{name: "fromTOML", arity: 1, topLevel: true, fn: primFromTOML},
}

func primToJSON(st *State, pos ast.Pos, args []*Value) Value {
	// the size of the last result is a good guess for the first chunk
	// (documents of one shape are serialised again and again), and
	// when it is right the result is that chunk
	w := jsonBuf{cur: make([]byte, 0, cmp.Or(st.jsonSizeHint, minJSONChunk))}
	var ctx contextBuilder
	st.writeJSONTo(&w, args[0], true, &ctx, pos)
	st.jsonSizeHint = min(w.Len(), 64<<20)
	return StringValue(w.String(), ctx.result())
}

func primToXML(st *State, pos ast.Pos, args []*Value) Value {
	var b strings.Builder
	st.writeXMLDoc(&b, args[0], true, false)
	var ctx contextBuilder
	st.xmlContext(args[0], &ctx, map[string]bool{})
	return StringValue(b.String(), ctx.result())
}

// xmlContext collects the string contexts toXML sees. It retraces the
// walk of writeXMLDoc over the (by then forced) value: only strings
// contribute, and a derivation's attributes are visited only the first
// time its drvPath is met.
func (st *State) xmlContext(v *Value, ctx *contextBuilder, drvsSeen map[string]bool) {
	switch v.kind {
	case KString:
		ctx.add(v.Str().Ctx)
	case KAttrs:
		b := v.Attrs()
		if st.isDerivation(v) {
			a := b.Get(st.sDrvPath)
			if a == nil || a.Val.kind != KString || a.Val.StrS() == "" || drvsSeen[a.Val.StrS()] {
				return
			}
			drvsSeen[a.Val.StrS()] = true
		}
		for _, a := range sortedByName(st, b) {
			st.xmlContext(a.Val, ctx, drvsSeen)
		}
	case KList:
		for _, e := range v.Elems() {
			st.xmlContext(e, ctx, drvsSeen)
		}
	}
}

func primFromJSON(st *State, pos ast.Pos, args []*Value) Value {
	s := st.forceStringNoCtx(args[0], pos)
	v, err := jsonparse.ParseWith(s, newJSONBuilder(st))
	if err != nil {
		// nlohmann's exception carries no position; Nix adds a trace line.
		panic(&Error{Msg: err.Error(), Trace: []TraceEntry{{Pos: pos, Msg: "while decoding a JSON string"}}})
	}
	return v
}

func primFromTOML(st *State, pos ast.Pos, args []*Value) Value {
	s := st.forceStringNoCtx(args[0], pos)
	tv, err := tomlparse.Parse(s)
	if err != nil {
		// Dates are refused with Nix's exact text; syntax errors keep the
		// decoder's wording (toml11's is not reproduced), with its line
		// and column.
		msg := err.Error()
		if !errors.Is(err, tomlparse.ErrDates) {
			msg = strings.TrimPrefix(msg, "toml: ")
		}
		st.fail(pos, "while parsing a TOML string: %s", msg)
	}
	return jsonparse.Rebuild(&tv, newJSONBuilder(st))
}
