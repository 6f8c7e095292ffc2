package eval

import (
	"strings"

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

// Key interns a key. A new name is copied first: it is usually a
// substring of the document, which the symbol table would otherwise keep
// alive for the rest of the evaluation.
func (b *jsonBuilder) Key(s string) ast.Symbol {
	if sym, ok := b.st.syms.Lookup(s); ok {
		return sym
	}
	return b.st.syms.Intern(strings.Clone(s))
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
	n := len(keys)
	if n == 0 {
		return AttrsValue(Bindings{Attrs: []Attr{}})
	}
	if n <= fewKeys && repeats(keys) {
		return b.lastWins(keys, vals)
	}
	bs := newBindings(n, n)
	attrs := bs.Attrs
	b.fill(vals, func(i int) **Value { return &attrs[i].Val })
	for i, k := range keys {
		attrs[i].Name = k
	}
	sortAttrs(attrs)
	if n > fewKeys {
		// sorted, a repeated key shows as a run of one name
		for i := 1; i < n; i++ {
			if attrs[i].Name == attrs[i-1].Name {
				return b.lastWins(keys, vals)
			}
		}
	}
	return AttrsValue(bs)
}

// fewKeys is the number of keys up to which an object's keys are
// compared pairwise for repeats before its set is made.
const fewKeys = 32

// repeats reports whether a key occurs twice.
func repeats(keys []ast.Symbol) bool {
	for i := 1; i < len(keys); i++ {
		for _, k := range keys[:i] {
			if k == keys[i] {
				return true
			}
		}
	}
	return false
}

// lastWins makes the set of an object that repeats a key: each name once,
// with the value of its last occurrence.
func (b *jsonBuilder) lastWins(keys []ast.Symbol, vals []Value) Value {
	var last map[ast.Symbol]int
	if len(keys) > fewKeys {
		last = make(map[ast.Symbol]int, len(keys))
		for i, k := range keys {
			last[k] = i
		}
	}
	isLast := func(i int) bool {
		if last != nil {
			return last[keys[i]] == i
		}
		for _, k := range keys[i+1:] {
			if k == keys[i] {
				return false
			}
		}
		return true
	}
	u, k := 0, 0
	for i := range keys {
		if isLast(i) {
			u++
			if b.shared(&vals[i]) == nil {
				k++
			}
		}
	}
	bs := newBindings(u, u)
	cells := makeCells(k)
	t := 0
	for i := range keys {
		if !isLast(i) {
			continue
		}
		c := b.shared(&vals[i])
		if c == nil {
			cells[0] = vals[i]
			c = &cells[0]
			cells = cells[1:]
		}
		bs.Attrs[t] = Attr{Name: keys[i], Val: c}
		t++
	}
	sortAttrs(bs.Attrs)
	return AttrsValue(bs)
}
