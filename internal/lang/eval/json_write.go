package eval

import (
	"strconv"
	"strings"
	"unsafe"

	"gonix/internal/format/jsonstr"
	"gonix/internal/lang/ast"
	"gonix/internal/lang/cfloat"
)

// writeJSON appends the JSON text of v to b as toJSON makes it (see
// writeJSONTo); structuredAttrs uses it for each attribute.
func (st *State) writeJSON(b *strings.Builder, v *Value, strict bool, ctx *contextBuilder, pos ast.Pos) {
	w := jsonBuf{cur: make([]byte, 0, 256)}
	st.writeJSONTo(&w, v, strict, ctx, pos)
	w.appendTo(b)
}

// writeJSONTo serialises v as builtins.toJSON does (spec §4.9). With
// strict, nested values are forced as they are met; otherwise a nested
// thunk is an error. Contexts of strings (and store paths of copied
// paths) are added to ctx. Like Nix's JSON writer, separators and keys
// are written before a member's value, and on an error every open list
// and object is still closed ("[1,]", `{"a":}`), which shows in
// nix-instantiate --json's partial output.
func (st *State) writeJSONTo(b *jsonBuf, v *Value, strict bool, ctx *contextBuilder, pos ast.Pos) {
	// (no defer for the depth: where an error is caught, unwindTo
	// restores it)
	st.enter(pos)
	st.writeJSONValue(b, v, strict, ctx, pos)
	st.depth--
}

func (st *State) writeJSONValue(b *jsonBuf, v *Value, strict bool, ctx *contextBuilder, pos ast.Pos) {
	if strict {
		st.force(v, pos)
	}
	switch v.kind {
	case KInt:
		b.writeInt(v.n)
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
			st.writeJSONTo(b, o.Val, strict, ctx, st.attrPosOr(o, pos))
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
			st.writeJSONTo(b, a.Val, strict, ctx, st.attrPosOr(&a, ast.Pos{}))
		}
	case KList:
		b.WriteByte('[')
		defer b.WriteByte(']')
		for i, e := range v.Elems() {
			if i > 0 {
				b.WriteByte(',')
			}
			st.writeJSONTo(b, e, strict, ctx, pos)
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

// jsonBuf collects toJSON's output in chunks, so that a long text is not
// copied again and again as it grows (a strings.Builder's append grows a
// megabyte text by a quarter at a time, allocating some five times its
// size): when the first chunk, sized by a guess, is too small, later
// chunks grow with the text and String joins them in one exact copy.
type jsonBuf struct {
	cur  []byte   // the chunk being written
	done [][]byte // full chunks before cur
	size int      // bytes in done
}

// minJSONChunk is the size of the first chunk when there is no guess.
const minJSONChunk = 512

func (w *jsonBuf) Len() int { return w.size + len(w.cur) }

func (w *jsonBuf) WriteByte(c byte) error {
	if len(w.cur) == cap(w.cur) {
		w.spill(1)
	}
	w.cur = append(w.cur, c)
	return nil
}

func (w *jsonBuf) WriteString(s string) (int, error) {
	n := len(s)
	for {
		k := copy(w.cur[len(w.cur):cap(w.cur)], s)
		w.cur = w.cur[:len(w.cur)+k]
		if k == len(s) {
			return n, nil
		}
		s = s[k:]
		w.spill(len(s))
	}
}

func (w *jsonBuf) writeInt(n int64) {
	if cap(w.cur)-len(w.cur) >= len("-9223372036854775808") {
		w.cur = strconv.AppendInt(w.cur, n, 10)
		return
	}
	// near the end of the chunk, which may be the exact size guessed
	var buf [24]byte
	w.WriteString(unsafe.String(&buf[0], len(strconv.AppendInt(buf[:0], n, 10))))
}

// spill starts a new chunk with room for at least need bytes; chunks
// grow by a quarter of the text so far.
func (w *jsonBuf) spill(need int) {
	if len(w.cur) > 0 {
		w.done = append(w.done, w.cur)
		w.size += len(w.cur)
	}
	w.cur = make([]byte, 0, max(need, minJSONChunk, w.Len()/4))
}

// String returns the text. It shares the first chunk when that holds all
// of it without much room to spare; otherwise it copies the text once.
func (w *jsonBuf) String() string {
	if len(w.done) == 0 && cap(w.cur)-len(w.cur) <= len(w.cur)/8 {
		return unsafe.String(unsafe.SliceData(w.cur), len(w.cur))
	}
	var b strings.Builder
	w.appendTo(&b)
	return b.String()
}

// appendTo writes the text to b.
func (w *jsonBuf) appendTo(b *strings.Builder) {
	b.Grow(w.Len())
	for _, c := range w.done {
		b.Write(c)
	}
	b.Write(w.cur)
}
