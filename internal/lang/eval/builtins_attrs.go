package eval

import (
	"cmp"
	"slices"
	"strings"

	"gonix/internal/lang/ast"
)

// Attribute-set builtins (spec §4.3), in Nix 2.8's registration order.
var attrsBuiltins = []builtinDef{
	{name: "genericClosure", arity: 1, fn: primGenericClosure},
	{name: "attrNames", arity: 1, fn: primAttrNames},
	{name: "attrValues", arity: 1, fn: primAttrValues},
	{name: "getAttr", arity: 2, fn: primGetAttr},
	{name: "unsafeGetAttrPos", arity: 2, fn: primUnsafeGetAttrPos},
	{name: "hasAttr", arity: 2, fn: primHasAttr},
	{name: "removeAttrs", arity: 2, topLevel: true, fn: primRemoveAttrs},
	{name: "listToAttrs", arity: 1, fn: primListToAttrs},
	{name: "intersectAttrs", arity: 2, fn: primIntersectAttrs},
	{name: "catAttrs", arity: 2, fn: primCatAttrs},
	{name: "functionArgs", arity: 1, fn: primFunctionArgs},
	{name: "mapAttrs", arity: 2, fn: primMapAttrs},
	{name: "zipAttrsWith", arity: 2, fn: primZipAttrsWith},
}

// requireAttr is primops.cc's getAttr helper: a missing attribute is
// `attribute 'x' missing for call to 'F'`. Nix reports it at the set's
// own position with a "while invoking" trace entry at the call; sets do
// not carry a position here, so the error is placed at the call and the
// trace entry is kept (what Nix shows for set literals).
func (st *State) requireAttr(b Bindings, sym ast.Symbol, fname string, pos ast.Pos) *Attr {
	a := b.Get(sym)
	if a == nil {
		throwErr(&Error{
			Msg:   "attribute '" + st.syms.Name(sym) + "' missing for call to '" + fname + "'",
			Pos:   pos,
			Trace: []TraceEntry{{Pos: pos, Msg: "while invoking '" + fname + "'"}},
		})
	}
	return a
}

// stringCells makes string values for names with two allocations in all.
func stringCells(names []string) []*Value {
	cells := make([]Value, len(names))
	strs := make([]Str, len(names))
	out := make([]*Value, len(names))
	for i, n := range names {
		strs[i].S = n
		cells[i] = strValue(&strs[i])
		out[i] = &cells[i]
	}
	return out
}

// nameCell returns the string value of symbol sym, one cell per symbol
// and State: such cells are never written, so every attrNames,
// mapAttrs and zipAttrsWith shares them (and their interned symbol).
func (st *State) nameCell(sym ast.Symbol) *Value {
	if int(sym) < len(st.names) {
		if c := st.names[sym]; c != nil {
			return c
		}
	} else {
		st.names = append(st.names, make([]*Value, int(sym)+1-len(st.names))...)
	}
	x := &struct {
		v Value
		s Str
	}{}
	x.s = Str{S: st.syms.Name(sym), sym: int32(sym) + 1}
	x.v = strValue(&x.s)
	st.names[sym] = &x.v
	return &x.v
}

func primAttrNames(st *State, pos ast.Pos, args []*Value) Value {
	b := st.forceAttrs(args[0], pos)
	out := make([]*Value, len(b.Attrs))
	for i, a := range b.Attrs {
		out[i] = st.nameCell(a.Name)
	}
	slices.SortFunc(out, func(x, y *Value) int { return strings.Compare(x.StrS(), y.StrS()) })
	return ListValue(out)
}

func primAttrValues(st *State, pos ast.Pos, args []*Value) Value {
	b := st.forceAttrs(args[0], pos)
	type named struct {
		name string
		val  *Value
	}
	tmp := make([]named, len(b.Attrs))
	for i, a := range b.Attrs {
		tmp[i] = named{st.syms.Name(a.Name), a.Val}
	}
	slices.SortFunc(tmp, func(x, y named) int { return strings.Compare(x.name, y.name) })
	out := make([]*Value, len(tmp))
	for i, t := range tmp {
		out[i] = t.val
	}
	return ListValue(out)
}

func primGetAttr(st *State, pos ast.Pos, args []*Value) Value {
	st.forceStringNoCtx(args[0], pos)
	b := st.forceAttrs(args[1], pos)
	a := st.requireAttr(b, st.internStr(args[0].Str()), "getAttr", pos)
	st.force(a.Val, pos)
	return *a.Val
}

func primUnsafeGetAttrPos(st *State, pos ast.Pos, args []*Value) Value {
	name := st.forceStringNoCtx(args[0], pos)
	b := st.forceAttrs(args[1], pos)
	a := b.Get(st.syms.Intern(name))
	if a == nil || a.Pos == 0 {
		return NullValue()
	}
	return st.posValue(*st.attrPos(a.Pos))
}

func primHasAttr(st *State, pos ast.Pos, args []*Value) Value {
	st.forceStringNoCtx(args[0], pos)
	b := st.forceAttrs(args[1], pos)
	return BoolValue(b.Get(st.internStr(args[0].Str())) != nil)
}

// primRemoveAttrs always builds a new set (Nix does), even when nothing
// is removed.
func primRemoveAttrs(st *State, pos ast.Pos, args []*Value) Value {
	b := st.forceAttrs(args[0], pos)
	elems := st.forceList(args[1], pos)
	drop := make([]ast.Symbol, len(elems))
	for i, e := range elems {
		st.forceStringNoCtx(e, pos)
		drop[i] = st.internStr(e.Str())
	}
	slices.Sort(drop)
	out := make([]Attr, 0, len(b.Attrs))
	j := 0
	for _, a := range b.Attrs {
		for j < len(drop) && drop[j] < a.Name {
			j++
		}
		if j < len(drop) && drop[j] == a.Name {
			continue
		}
		out = append(out, a)
	}
	return AttrsValue(Bindings{Attrs: out})
}

// symbolSet is a growable bitset over interned symbols (they are dense).
type symbolSet []uint64

func (s *symbolSet) add(sym ast.Symbol) bool {
	w, bit := int(sym)>>6, uint64(1)<<(uint(sym)&63)
	if w >= len(*s) {
		*s = append(*s, make([]uint64, w+1-len(*s)+len(*s)/2)...)
	}
	if (*s)[w]&bit != 0 {
		return false
	}
	(*s)[w] |= bit
	return true
}

// primListToAttrs: the first occurrence of a name wins; later duplicates
// are skipped before their `value` is even looked up.
func primListToAttrs(st *State, pos ast.Pos, args []*Value) Value {
	elems := st.forceList(args[0], pos)
	out := make([]Attr, 0, len(elems))
	var seen symbolSet
	for _, e := range elems {
		b := st.forceAttrs(e, pos)
		na := st.requireAttr(b, st.sName, "listToAttrs", pos)
		sym := st.syms.Intern(st.forceStringNoCtx(na.Val, st.attrPosOr(na, pos)))
		if !seen.add(sym) {
			continue
		}
		va := st.requireAttr(b, st.sValue, "listToAttrs", pos)
		out = append(out, Attr{Name: sym, Pos: va.Pos, Val: va.Val})
	}
	slices.SortFunc(out, func(x, y Attr) int { return int(x.Name) - int(y.Name) })
	return AttrsValue(Bindings{Attrs: out})
}

// primIntersectAttrs keeps b's attributes whose names occur in a; both
// are sorted by symbol, so walking the smaller one keeps the result
// sorted.
func primIntersectAttrs(st *State, pos ast.Pos, args []*Value) Value {
	a := st.forceAttrs(args[0], pos)
	b := st.forceAttrs(args[1], pos)
	out := make([]Attr, 0, min(len(a.Attrs), len(b.Attrs)))
	if len(a.Attrs) <= len(b.Attrs) {
		for _, x := range a.Attrs {
			if y := b.Get(x.Name); y != nil {
				out = append(out, *y)
			}
		}
	} else {
		for _, y := range b.Attrs {
			if a.Get(y.Name) != nil {
				out = append(out, y)
			}
		}
	}
	return AttrsValue(Bindings{Attrs: out})
}

func primCatAttrs(st *State, pos ast.Pos, args []*Value) Value {
	st.forceStringNoCtx(args[0], pos)
	sym := st.internStr(args[0].Str())
	elems := st.forceList(args[1], pos)
	var out []*Value
	for _, e := range elems {
		if a := st.forceAttrs(e, pos).Get(sym); a != nil {
			out = append(out, a.Val)
		}
	}
	return ListValue(out)
}

func primFunctionArgs(st *State, pos ast.Pos, args []*Value) Value {
	v := args[0]
	st.force(v, pos)
	switch v.kind {
	case KPrimOp, KPrimOpApp:
		return AttrsValue(Bindings{})
	case KLambda:
	default:
		st.fail(pos, "'functionArgs' requires a function")
	}
	l := (*ast.Lambda)(v.p)
	if !l.HasFormals {
		return AttrsValue(Bindings{})
	}
	out := make([]Attr, len(l.Formals))
	for i := range l.Formals {
		f := &l.Formals[i]
		out[i] = Attr{Name: f.Name, Pos: st.posNumber(&f.Pos, &f.PosID), Val: cell(BoolValue(f.Default != nil))}
	}
	sortAttrs(out)
	return AttrsValue(Bindings{Attrs: out})
}

// primMapAttrs: each value is the pending application (f name) value, as
// two nested applications like Nix's; the attributes have no position.
func primMapAttrs(st *State, pos ast.Pos, args []*Value) Value {
	b := st.forceAttrs(args[1], pos)
	n := len(b.Attrs)
	res := newBindings(n, n)
	out := res.Attrs
	cells := make([]Value, 2*n)
	for i, a := range b.Attrs {
		cells[2*i] = appValue(args[0], st.nameCell(a.Name))
		cells[2*i+1] = appValue(&cells[2*i], a.Val)
		out[i] = Attr{Name: a.Name, Val: &cells[2*i+1]}
	}
	return AttrsValue(res)
}

// primZipAttrsWith: result attribute n is the pending `f n [values]`.
func primZipAttrsWith(st *State, pos ast.Pos, args []*Value) Value {
	st.forceFunction(args[0], pos)
	elems := st.forceList(args[1], pos)
	total := 0
	for _, e := range elems {
		var b Bindings
		st.withTrace(pos, "while invoking 'zipAttrsWith'", func() { b = st.forceAttrs(e, ast.Pos{}) })
		total += len(b.Attrs)
	}
	// every (name, value) in list order, then grouped by name: a stable
	// sort keeps each name's values in list order
	pairs := make([]Attr, 0, total)
	for _, e := range elems {
		pairs = append(pairs, e.Attrs().Attrs...)
	}
	slices.SortStableFunc(pairs, func(x, y Attr) int { return cmp.Compare(x.Name, y.Name) })
	n := 0
	for i := range pairs {
		if i == 0 || pairs[i].Name != pairs[i-1].Name {
			n++
		}
	}
	vals := make([]*Value, total)
	res := newBindings(n, n)
	out := res.Attrs
	cells := make([]Value, 3*n)
	for i, k := 0, 0; i < total; k++ {
		j := i
		for j < total && pairs[j].Name == pairs[i].Name {
			vals[j] = pairs[j].Val
			j++
		}
		s := pairs[i].Name
		cells[3*k] = ListValue(vals[i:j:j])
		cells[3*k+1] = appValue(args[0], st.nameCell(s))
		cells[3*k+2] = appValue(&cells[3*k+1], &cells[3*k])
		out[k] = Attr{Name: s, Val: &cells[3*k+2]}
		i = j
	}
	return AttrsValue(res)
}

// primGenericClosure follows Nix 2.8: a FIFO work list, keys compared
// with the `<` rules (std::set<Value*, CompareValues>).
func primGenericClosure(st *State, pos ast.Pos, args []*Value) Value {
	b := st.forceAttrs(args[0], pos)
	ss := st.requireAttr(b, st.sStartSet, "genericClosure", pos)
	start := st.forceList(ss.Val, pos)
	work := make([]*Value, len(start))
	copy(work, start)
	op := st.requireAttr(b, st.sOperator, "genericClosure", pos)
	st.force(op.Val, pos)
	var res []*Value
	done := closureKeys{st: st, pos: pos}
	var buf [2]*Value
	for head := 0; head < len(work); head++ {
		if head >= 4096 && head*2 >= len(work) {
			work = append(work[:0], work[head:]...)
			head = 0
		}
		e := work[head]
		work[head] = nil
		eb := st.forceAttrs(e, pos)
		k := eb.Get(st.sKey)
		if k == nil {
			st.fail(pos, "attribute 'key' required")
		}
		st.force(k.Val, pos)
		if !done.insert(k.Val) {
			continue
		}
		res = append(res, e)
		r := st.call1(op.Val, e, &buf, pos)
		for _, x := range st.valueList(r, pos) {
			st.force(x, pos)
			work = append(work, x)
		}
	}
	return ListValue(res)
}

// closureKeys is the set of keys seen by genericClosure. Homogeneous int
// or string keys (the usual case) live in a hash set; anything else in a
// slice kept sorted with lessThan, searched like a binary tree insert
// (comparing the new key against existing ones, so type errors read
// `cannot compare NEW with OLD` as in Nix).
type closureKeys struct {
	st     *State
	pos    ast.Pos
	mode   uint8 // 0 empty, 1 ints, 2 strings, 3 general
	ints   map[int64]struct{}
	strs   map[string]struct{}
	sample *Value
	sorted []*Value
}

func (c *closureKeys) insert(k *Value) bool {
	switch c.mode {
	case 0:
		c.sample = k
		switch k.kind {
		case KInt:
			c.mode, c.ints = 1, map[int64]struct{}{k.n: {}}
		case KString:
			c.mode, c.strs = 2, map[string]struct{}{k.StrS(): {}}
		default:
			c.mode, c.sorted = 3, []*Value{k}
		}
		return true
	case 1:
		if k.kind == KInt {
			if _, ok := c.ints[k.n]; ok {
				return false
			}
			c.ints[k.n] = struct{}{}
			return true
		}
		if k.kind != KFloat {
			c.st.fail(ast.Pos{}, "cannot compare %s with %s", showType(k), showType(c.sample))
		}
		// mixed ints and floats: fall back to ordered comparisons
		keys := make([]int64, 0, len(c.ints))
		for n := range c.ints {
			keys = append(keys, n)
		}
		slices.Sort(keys)
		c.sorted = make([]*Value, len(keys))
		for i, n := range keys {
			c.sorted[i] = cell(IntValue(n))
		}
		c.mode, c.ints = 3, nil
	case 2:
		if k.kind != KString {
			c.st.fail(ast.Pos{}, "cannot compare %s with %s", showType(k), showType(c.sample))
		}
		s := k.StrS()
		if _, ok := c.strs[s]; ok {
			return false
		}
		c.strs[s] = struct{}{}
		return true
	}
	lo, hi := 0, len(c.sorted)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.st.lessThan(k, c.sorted[m], c.pos) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo > 0 && !c.st.lessThan(c.sorted[lo-1], k, c.pos) {
		return false
	}
	c.sorted = slices.Insert(c.sorted, lo, k)
	return true
}
