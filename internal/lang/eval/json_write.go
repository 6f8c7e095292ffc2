package eval

import (
	"strconv"
	"strings"

	"gonix/internal/format/jsonstr"
	"gonix/internal/lang/ast"
	"gonix/internal/lang/cfloat"
)

// writeJSON serialises v as builtins.toJSON does (spec §4.9). With
// strict, nested values are forced as they are met; otherwise a nested
// thunk is an error. Contexts of strings (and store paths of copied
// paths) are added to ctx. Like Nix's JSON writer, separators and keys
// are written before a member's value, and on an error every open list
// and object is still closed ("[1,]", `{"a":}`), which shows in
// nix-instantiate --json's partial output.
func (st *State) writeJSON(b *strings.Builder, v *Value, strict bool, ctx *contextBuilder, pos ast.Pos) {
	// (no defer for the depth: where an error is caught, unwindTo
	// restores it)
	st.enter(pos)
	st.writeJSONValue(b, v, strict, ctx, pos)
	st.depth--
}

func (st *State) writeJSONValue(b *strings.Builder, v *Value, strict bool, ctx *contextBuilder, pos ast.Pos) {
	if strict {
		st.force(v, pos)
	}
	switch v.kind {
	case KInt:
		var buf [24]byte
		b.Write(strconv.AppendInt(buf[:0], v.n, 10))
	case KFloat:
		b.WriteString(cfloat.FormatG(v.Float()))
	case KBool:
		if v.n != 0 {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case KNull:
		b.WriteString("null")
	case KString:
		s := v.Str()
		ctx.add(s.Ctx)
		jsonstr.WriteNix(b, s.S)
	case KPath:
		sp := st.copyPathToStore(v.StrS(), pos)
		ctx.addOne(sp)
		jsonstr.WriteNix(b, sp)
	case KAttrs:
		attrs := v.Attrs()
		if f := attrs.Get(st.sToString); f != nil {
			// tryAttrsToString: no coerceMore, no copying to the store
			s := st.coerceToString(pos, v, ctx, false, false)
			jsonstr.WriteNix(b, s)
			return
		}
		if o := attrs.Get(st.sOutPath); o != nil {
			st.writeJSON(b, o.Val, strict, ctx, attrPos(o, pos))
			return
		}
		b.WriteByte('{')
		defer b.WriteByte('}')
		var buf [16]Attr
		for i, a := range sortedByNameIn(st, attrs, &buf) {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonstr.WriteNix(b, st.syms.Name(a.Name))
			b.WriteByte(':')
			st.writeJSON(b, a.Val, strict, ctx, attrPos(&a, ast.Pos{}))
		}
	case KList:
		b.WriteByte('[')
		defer b.WriteByte(']')
		for i, e := range v.Elems() {
			if i > 0 {
				b.WriteByte(',')
			}
			st.writeJSON(b, e, strict, ctx, pos)
		}
	default:
		epos := pos
		if v.kind == KLambda {
			epos = (*ast.Lambda)(v.p).Pos
		}
		throwErr(&Error{Msg: "cannot convert " + showType(v) + " to JSON", Pos: epos,
			Trace: []TraceEntry{{Pos: pos, Msg: "message for the trace"}}})
	}
}

func attrPos(a *Attr, def ast.Pos) ast.Pos {
	if a.Pos != nil {
		return *a.Pos
	}
	return def
}
