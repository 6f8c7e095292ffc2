package eval

import (
	"gonix/internal/lang/ast"
)

// List builtins (spec §4.4), in Nix 2.8's registration order.
var listBuiltins = []builtinDef{
	{name: "elemAt", arity: 2, fn: primElemAt},
	{name: "head", arity: 1, fn: primHead},
	{name: "tail", arity: 1, fn: primTail},
	{name: "map", arity: 2, topLevel: true, fn: primMap},
	{name: "filter", arity: 2, fn: primFilter},
	{name: "elem", arity: 2, fn: primElem},
	{name: "concatLists", arity: 1, fn: primConcatLists},
	{name: "length", arity: 1, fn: primLength},
	{name: "foldl'", arity: 3, fn: primFoldl},
	{name: "any", arity: 2, fn: primAny},
	{name: "all", arity: 2, fn: primAll},
	{name: "genList", arity: 2, fn: primGenList},
	{name: "sort", arity: 2, fn: primSort},
	{name: "partition", arity: 2, fn: primPartition},
	{name: "groupBy", arity: 2, fn: primGroupBy},
	{name: "concatMap", arity: 2, fn: primConcatMap},
}

// call2 applies fn to a and b through a caller-owned argument buffer, so
// hot loops (foldl', sort) do not allocate a slice per call. callFunction
// never keeps the slice itself (partial applications copy it).
func (st *State) call2(fn, a, b *Value, buf *[2]*Value, pos ast.Pos) Value {
	buf[0], buf[1] = a, b
	return st.callFunction(fn, buf[:], pos)
}

// call1 is call2 for one argument.
func (st *State) call1(fn, a *Value, buf *[2]*Value, pos ast.Pos) Value {
	buf[0] = a
	return st.callFunction(fn, buf[:1], pos)
}

// elemAt truncates the index to a C int, as Nix 2.8 does.
func (st *State) elemAt(pos ast.Pos, list *Value, n int32) Value {
	elems := st.forceList(list, pos)
	if n < 0 || int(n) >= len(elems) {
		st.fail(pos, "list index %d is out of bounds", n)
	}
	st.force(elems[n], pos)
	return *elems[n]
}

func primElemAt(st *State, pos ast.Pos, args []*Value) Value {
	n := int32(st.forceInt(args[1], pos))
	return st.elemAt(pos, args[0], n)
}

func primHead(st *State, pos ast.Pos, args []*Value) Value {
	return st.elemAt(pos, args[0], 0)
}

func primTail(st *State, pos ast.Pos, args []*Value) Value {
	elems := st.forceList(args[0], pos)
	if len(elems) == 0 {
		st.fail(pos, "'tail' called on an empty list")
	}
	// A copy, as in Nix: a list's identity (for «repeated») is its
	// element storage, and two tails of one list are two lists.
	return ListValue(append([]*Value(nil), elems[1:]...))
}

// primMap builds pending applications `f x`; f is not forced.
func primMap(st *State, pos ast.Pos, args []*Value) Value {
	elems := st.forceList(args[1], pos)
	n := len(elems)
	if n == 0 {
		return ListValue(nil)
	}
	out, cells := newMapList(n)
	f := args[0]
	for i, x := range elems {
		cells[i] = appValue(f, x)
		out[i] = &cells[i]
	}
	return ListValue(out)
}

// newMapList returns the storage of a map result of n elements: its
// element slice and cells. For short lists (the module system maps over
// a few definitions at a time) both are one allocation, which the list
// keeps alive as a whole anyway.
func newMapList(n int) ([]*Value, []Value) {
	switch n {
	case 1:
		x := &struct {
			out   [1]*Value
			cells [1]Value
		}{}
		return x.out[:], x.cells[:]
	case 2:
		x := &struct {
			out   [2]*Value
			cells [2]Value
		}{}
		return x.out[:], x.cells[:]
	case 3, 4:
		x := &struct {
			out   [4]*Value
			cells [4]Value
		}{}
		return x.out[:n:n], x.cells[:n:n]
	}
	return make([]*Value, n), make([]Value, n)
}

// primFilter calls the predicate without a call position (Nix passes
// noPos); when every element passes, the argument list itself is returned.
func primFilter(st *State, pos ast.Pos, args []*Value) Value {
	st.forceFunction(args[0], pos)
	elems := st.forceList(args[1], pos)
	var buf [2]*Value
	var kept []*Value
	same := true
	for i, x := range elems {
		r := st.call1(args[0], x, &buf, ast.Pos{})
		if st.valueBool(r, pos) {
			if !same {
				kept = append(kept, x)
			}
		} else if same {
			same = false
			kept = make([]*Value, i, len(elems)-1)
			copy(kept, elems[:i])
		}
	}
	if same {
		return *args[1]
	}
	return ListValue(kept)
}

func primElem(st *State, pos ast.Pos, args []*Value) Value {
	elems := st.forceList(args[1], pos)
	for _, x := range elems {
		if st.eqValues(args[0], x, pos) {
			return BoolValue(true)
		}
	}
	return BoolValue(false)
}

func primConcatLists(st *State, pos ast.Pos, args []*Value) Value {
	lists := st.forceList(args[0], pos)
	var nonEmpty *Value
	total := 0
	for _, l := range lists {
		n := len(st.forceList(l, pos))
		total += n
		if n > 0 {
			nonEmpty = l
		}
	}
	if nonEmpty != nil && total == len(nonEmpty.Elems()) {
		return *nonEmpty
	}
	if total == 0 {
		return ListValue(nil)
	}
	out := make([]*Value, 0, total)
	for _, l := range lists {
		out = append(out, l.Elems()...)
	}
	return ListValue(out)
}

func primLength(st *State, pos ast.Pos, args []*Value) Value {
	return IntValue(int64(len(st.forceList(args[0], pos))))
}

// primFoldl calls `op acc x` with both arguments at once, as Nix does;
// each intermediate result gets its own cell (closures may capture it).
func primFoldl(st *State, pos ast.Pos, args []*Value) Value {
	st.forceFunction(args[0], pos)
	elems := st.forceList(args[2], pos)
	if len(elems) == 0 {
		st.force(args[1], pos)
		return *args[1]
	}
	var buf [2]*Value
	acc := args[1]
	var r Value
	last := len(elems) - 1
	if lc := st.reusable2(args[0]); lc != nil {
		// `acc: x: …` whose body never keeps its frame: one frame
		// serves every step (see lambdaCode.reuse), and one cell every
		// accumulator when the body never keeps the accumulator's cell
		// (lambdaCode.keeps0)
		env2 := st.takeFrame(&st.frames2, args[0].env, 2)
		var own *Value
		for i, x := range elems {
			env2.set(0, acc)
			env2.set(1, x)
			st.enter(pos)
			r = lc.body(st, env2)
			st.depth--
			if i < last {
				if lc.keeps0 {
					acc = cell(r)
				} else {
					if own == nil {
						own = new(Value)
					}
					*own = r
					acc = own
				}
			}
		}
		st.dropFrame(&st.frames2, env2, 2)
		elems = nil
	}
	for i, x := range elems {
		r = st.call2(args[0], acc, x, &buf, pos)
		if i < last {
			// One cell per step: cells shared in a slab would keep every
			// intermediate accumulator of the slab alive.
			acc = cell(r)
		}
	}
	if r.kind >= KThunk {
		c := cell(r)
		st.force(c, pos)
		r = *c
	}
	return r
}

func (st *State) anyOrAll(isAny bool, pos ast.Pos, args []*Value) Value {
	st.forceFunction(args[0], pos)
	elems := st.forceList(args[1], pos)
	var buf [2]*Value
	for _, x := range elems {
		if st.valueBool(st.call1(args[0], x, &buf, pos), pos) == isAny {
			return BoolValue(isAny)
		}
	}
	return BoolValue(!isAny)
}

func primAny(st *State, pos ast.Pos, args []*Value) Value { return st.anyOrAll(true, pos, args) }
func primAll(st *State, pos ast.Pos, args []*Value) Value { return st.anyOrAll(false, pos, args) }

// maxListSize bounds list allocation. Nix reports "out of memory" when
// its allocator fails; the Go runtime would kill the process instead, so
// sizes no machine could hold get Nix's message up front.
const maxListSize = 1 << 30

func primGenList(st *State, pos ast.Pos, args []*Value) Value {
	n := st.forceInt(args[1], pos)
	if n < 0 {
		st.fail(pos, "cannot create list of size %d", n)
	}
	if n > maxListSize {
		throwErr(&Error{Msg: "out of memory"})
	}
	if n == 0 {
		return ListValue(nil)
	}
	// element i is the pending application `f i` (a genApp and i in n),
	// its argument a shared cell of the State's (see intCells)
	g := &genApp{fn: args[0], ints: st.intCells(int(n))}
	cells := makeCells(int(n))
	out := makeElems(int(n), int(n))
	for i := range out {
		cells[i] = genAppValue(g, int64(i))
		out[i] = &cells[i]
	}
	return ListValue(out)
}

// primSort forces every element, then runs libstdc++'s std::stable_sort
// step for step (so that comparators that are not strict weak orders,
// and their side effects, behave as in Nix 2.8).
func primSort(st *State, pos ast.Pos, args []*Value) Value {
	st.forceFunction(args[0], pos)
	elems := st.forceList(args[1], pos)
	n := len(elems)
	out := make([]*Value, n)
	for i, x := range elems {
		st.force(x, pos)
		out[i] = x
	}
	if n == 0 {
		return ListValue(out)
	}
	s := sorter{st: st, pos: pos, fn: args[0]}
	if args[0].kind == KPrimOp && (*PrimOp)(args[0].p).Name == "lessThan" {
		s.direct = true
	}
	s.stableSort(out)
	return ListValue(out)
}

func primPartition(st *State, pos ast.Pos, args []*Value) Value {
	st.forceFunction(args[0], pos)
	elems := st.forceList(args[1], pos)
	var right, wrong []*Value
	var buf [2]*Value
	for _, x := range elems {
		st.force(x, pos)
		if st.valueBool(st.call1(args[0], x, &buf, pos), pos) {
			right = append(right, x)
		} else {
			wrong = append(wrong, x)
		}
	}
	return mkAttrs([]Attr{
		{Name: st.sRight, Val: cell(ListValue(right))},
		{Name: st.sWrong, Val: cell(ListValue(wrong))},
	})
}

func primGroupBy(st *State, pos ast.Pos, args []*Value) Value {
	st.forceFunction(args[0], pos)
	elems := st.forceList(args[1], pos)
	index := make(map[ast.Symbol]int)
	var syms []ast.Symbol
	var groups [][]*Value
	var buf [2]*Value
	for _, x := range elems {
		r := st.call1(args[0], x, &buf, pos)
		name := st.forceStringNoCtx(cell(r), pos)
		sym := st.syms.Intern(name)
		k, ok := index[sym]
		if !ok {
			k = len(groups)
			index[sym] = k
			syms = append(syms, sym)
			groups = append(groups, nil)
		}
		groups[k] = append(groups[k], x)
	}
	attrs := make([]Attr, len(syms))
	for i, sym := range syms {
		attrs[i] = Attr{Name: sym, Val: cell(ListValue(groups[i]))}
	}
	return mkAttrs(attrs)
}

// primConcatMap always builds a new list (unlike concatLists).
func primConcatMap(st *State, pos ast.Pos, args []*Value) Value {
	st.forceFunction(args[0], pos)
	elems := st.forceList(args[1], pos)
	lists := make([][]*Value, len(elems))
	total := 0
	var buf [2]*Value
	for i, x := range elems {
		r := st.call1(args[0], x, &buf, pos)
		if r.kind == KList {
			lists[i] = r.Elems()
		} else {
			lpos := determinePos(&r, determinePos(args[0], pos))
			st.withTrace(pos, "while invoking 'concatMap'", func() {
				lists[i] = st.forceList(cell(r), lpos)
			})
		}
		total += len(lists[i])
	}
	if total == 0 {
		return ListValue(nil)
	}
	out := make([]*Value, 0, total)
	for _, l := range lists {
		out = append(out, l...)
	}
	return ListValue(out)
}

// sorter replays libstdc++'s std::stable_sort with a temporary buffer
// (the path taken whenever the buffer can be allocated): each half is
// sorted by chunked insertion sort (chunks of 7) followed by buffered
// merge passes, then the halves are merged forwards or backwards.
type sorter struct {
	st     *State
	pos    ast.Pos
	fn     *Value
	direct bool // comparator is the lessThan primop: compare directly
	buf    [2]*Value
}

func (s *sorter) less(a, b *Value) bool {
	if s.direct {
		return s.st.lessThan(a, b, s.pos)
	}
	return s.st.valueBool(s.st.call2(s.fn, a, b, &s.buf, s.pos), s.pos)
}

const sortChunk = 7

func (s *sorter) stableSort(a []*Value) {
	n := len(a)
	mid := (n + 1) / 2
	tmp := make([]*Value, mid)
	s.mergeSortWithBuffer(a[:mid], tmp)
	s.mergeSortWithBuffer(a[mid:], tmp)
	s.mergeAdaptive(a, mid, tmp)
}

func (s *sorter) mergeSortWithBuffer(a, buf []*Value) {
	n := len(a)
	step := sortChunk
	// chunk insertion sort
	i := 0
	for ; n-i >= step; i += step {
		s.insertionSort(a[i : i+step])
	}
	s.insertionSort(a[i:])
	buf = buf[:n]
	for step < n {
		s.mergeSortLoop(a, buf, step)
		step *= 2
		s.mergeSortLoop(buf, a, step)
		step *= 2
	}
}

func (s *sorter) insertionSort(a []*Value) {
	if len(a) == 0 {
		return
	}
	for i := 1; i < len(a); i++ {
		v := a[i]
		if s.less(v, a[0]) {
			copy(a[1:i+1], a[:i])
			a[0] = v
			continue
		}
		// unguarded linear insert (guarded here: a comparator that is not
		// a strict weak order would make libstdc++ run off the front)
		j := i
		for j > 0 && s.less(v, a[j-1]) {
			a[j] = a[j-1]
			j--
		}
		a[j] = v
	}
}

// mergeSortLoop merges runs of length step from src into dst.
func (s *sorter) mergeSortLoop(src, dst []*Value, step int) {
	two := 2 * step
	i, o := 0, 0
	n := len(src)
	for n-i >= two {
		o = s.moveMerge(src[i:i+step], src[i+step:i+two], dst, o)
		i += two
	}
	m := min(n-i, step)
	s.moveMerge(src[i:i+m], src[i+m:n], dst, o)
}

// moveMerge is std::__move_merge: take from the second run only when it
// is strictly less (stability).
func (s *sorter) moveMerge(x, y, dst []*Value, o int) int {
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		if s.less(y[j], x[i]) {
			dst[o] = y[j]
			j++
		} else {
			dst[o] = x[i]
			i++
		}
		o++
	}
	o += copy(dst[o:], x[i:])
	o += copy(dst[o:], y[j:])
	return o
}

// mergeAdaptive merges a[:mid] and a[mid:] through buf (which holds at
// least the shorter half), as std::__merge_adaptive does.
func (s *sorter) mergeAdaptive(a []*Value, mid int, buf []*Value) {
	len1, len2 := mid, len(a)-mid
	if len1 <= len2 {
		b := buf[:len1]
		copy(b, a[:mid])
		// forward merge of b and a[mid:] into a
		i, j, o := 0, mid, 0
		for i < len(b) && j < len(a) {
			if s.less(a[j], b[i]) {
				a[o] = a[j]
				j++
			} else {
				a[o] = b[i]
				i++
			}
			o++
		}
		copy(a[o:], b[i:])
		return
	}
	b := buf[:len2]
	copy(b, a[mid:])
	// backward merge of a[:mid] and b into a
	if len2 == 0 {
		return
	}
	i, j, o := mid-1, len2-1, len(a)
	for {
		if s.less(b[j], a[i]) {
			o--
			a[o] = a[i]
			if i == 0 {
				copy(a[o-(j+1):o], b[:j+1])
				return
			}
			i--
		} else {
			o--
			a[o] = b[j]
			if j == 0 {
				return
			}
			j--
		}
	}
}

// intCells returns cells holding 0 … n-1, shared by every genList of the
// State: a cell that is not a thunk is never written, so the arguments
// of `f i` need not be made again for each list.
func (st *State) intCells(n int) []Value {
	if n > 1<<20 {
		// not kept: the State would hold it for the rest of its life
		ints := makeCells(n)
		for i := range ints {
			ints[i] = Value{kind: KInt, n: int64(i)}
		}
		return ints
	}
	if n > len(st.ints) {
		ints := makeCells(max(n, min(2*len(st.ints), 1<<16)))
		for i := range ints {
			ints[i] = Value{kind: KInt, n: int64(i)}
		}
		st.ints = ints
	}
	return st.ints[:n:n]
}
