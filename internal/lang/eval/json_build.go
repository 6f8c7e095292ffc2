package eval

import (
	"gonix/internal/lang/ast"
	"gonix/internal/lang/jsonparse"
)

// jsonBuilder makes evaluator values for fromJSON and fromTOML as the
// document is parsed (jsonparse.Builder), without an intermediate tree.
// As Nix's SAX parser does, it interns object keys in document order, and
// a repeated key takes its last value.
//
// A cell that is not a thunk is never written (see intCells), so members
// that are true, false, null or a small non-negative integer share cells
// instead of having their own, and a string equal to one met shortly
// before shares its payload.
type jsonBuilder struct {
	st *State
	// strs is the unused rest of the current block of string payloads:
	// a document's strings are allocated in blocks, which grow with the
	// document (a block lives as long as any of its strings).
	strs []Str
	next int // size of the next block
	// recent holds the last short string seen per hash slot
	recent [64]*Str
	// consts are the document's shared false, true and null cells
	consts *[3]Value
}

var _ jsonparse.Builder[ast.Symbol, Value] = (*jsonBuilder)(nil)

func newJSONBuilder(st *State) *jsonBuilder { return &jsonBuilder{st: st, next: 8} }

func (b *jsonBuilder) Null() Value           { return NullValue() }
func (b *jsonBuilder) Bool(x bool) Value     { return BoolValue(x) }
func (b *jsonBuilder) Int(i int64) Value     { return IntValue(i) }
func (b *jsonBuilder) Float(f float64) Value { return FloatValue(f) }
func (b *jsonBuilder) Key(s string) ast.Symbol {
	return b.st.syms.Intern(s)
}

// maxShared is the length up to which equal strings share a payload:
// short strings are the ones documents repeat (enumerations, names).
const maxShared = 32

func (b *jsonBuilder) String(s string) Value {
	var slot **Str
	if len(s) <= maxShared {
		h := len(s)
		if len(s) > 0 {
			h = h*7 + int(s[0])*31 + int(s[len(s)-1])
		}
		slot = &b.recent[h&(len(b.recent)-1)]
		if p := *slot; p != nil && p.S == s {
			return strValue(p)
		}
	}
	if len(b.strs) == 0 {
		b.strs = make([]Str, b.next)
		b.next = min(2*b.next, 256)
	}
	p := &b.strs[0]
	b.strs = b.strs[1:]
	p.S = s
	if slot != nil {
		*slot = p
	}
	return strValue(p)
}

// shared returns a cell holding v that is shared with others, or nil.
func (b *jsonBuilder) shared(v *Value) *Value {
	switch v.kind {
	case KInt:
		if ints := b.st.ints; uint64(v.n) < uint64(len(ints)) {
			return &ints[v.n]
		}
	case KBool, KNull:
		if b.consts == nil {
			b.consts = &[3]Value{BoolValue(false), BoolValue(true), NullValue()}
		}
		if v.kind == KNull {
			return &b.consts[2]
		}
		return &b.consts[v.n]
	}
	return nil
}

// fill sets ptrs[i] to a cell holding vals[i]: a shared one where it
// can, the others made in one allocation (the container keeps them all
// alive anyway). at(i) is where ptrs[i] lives.
func (b *jsonBuilder) fill(vals []Value, at func(int) **Value) {
	k := 0
	for i := range vals {
		p := b.shared(&vals[i])
		*at(i) = p
		if p == nil {
			k++
		}
	}
	if k == 0 {
		return
	}
	cells := makeCells(k)
	for i := range vals {
		if p := at(i); *p == nil {
			cells[0] = vals[i]
			*p = &cells[0]
			cells = cells[1:]
		}
	}
}

func (b *jsonBuilder) Array(vals []Value) Value {
	elems := makeElems(len(vals), len(vals))
	b.fill(vals, func(i int) **Value { return &elems[i] })
	return ListValue(elems)
}

func (b *jsonBuilder) Object(keys []ast.Symbol, vals []Value) Value {
	if len(keys) == 0 {
		return AttrsValue(&Bindings{Attrs: []Attr{}})
	}
	bs := newBindings(len(keys), len(keys))
	attrs := bs.Attrs
	b.fill(vals, func(i int) **Value { return &attrs[i].Val })
	for i, k := range keys {
		attrs[i].Name = k
	}
	sortAttrs(attrs)
	// sorted, a repeated key shows as a run of one name
	for i := 1; i < len(attrs); i++ {
		if attrs[i].Name == attrs[i-1].Name {
			bs.Attrs = b.lastOfEach(attrs, keys, vals)
			break
		}
	}
	return AttrsValue(bs)
}

// lastOfEach removes repeated names from sorted attrs, made from keys and
// vals in document order, keeping each name once with the value of its
// last occurrence. Documents rarely repeat a key, so this slow path makes
// the cells of those values again.
func (b *jsonBuilder) lastOfEach(attrs []Attr, keys []ast.Symbol, vals []Value) []Attr {
	last := make(map[ast.Symbol]int, len(keys))
	for i, k := range keys {
		last[k] = i
	}
	out := attrs[:0]
	for i, a := range attrs {
		if i > 0 && a.Name == out[len(out)-1].Name {
			continue
		}
		v := &vals[last[a.Name]]
		if a.Val = b.shared(v); a.Val == nil {
			a.Val = cell(*v)
		}
		out = append(out, a)
	}
	clear(attrs[len(out):])
	return out
}
