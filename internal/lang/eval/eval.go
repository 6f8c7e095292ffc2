package eval

import (
	"gonix/internal/lang/ast"
	"unsafe"
)

// constCell returns the shared cell of a literal (Nix shares them too).
func constCell(e ast.Expr) *Value {
	switch e := e.(type) {
	case *ast.Int:
		if c := (*Value)(e.Cache); c != nil {
			return c
		}
		c := &Value{kind: KInt, n: e.Val}
		e.Cache = unsafe.Pointer(c)
		return c
	case *ast.Float:
		if c := (*Value)(e.Cache); c != nil {
			return c
		}
		v := FloatValue(e.Val)
		c := &v
		e.Cache = unsafe.Pointer(c)
		return c
	case *ast.String:
		if c := (*Value)(e.Cache); c != nil {
			return c
		}
		c := new(Value)
		*c = strValue(&Str{S: e.Val})
		e.Cache = unsafe.Pointer(c)
		return c
	case *ast.Path:
		if c := (*Value)(e.Cache); c != nil {
			return c
		}
		c := new(Value)
		*c = PathValue(e.Val)
		e.Cache = unsafe.Pointer(c)
		return c
	}
	return nil
}

// lazy is Nix's maybeThunk: the cell to store for e in a lazy position.
func (st *State) lazy(env *Env, e ast.Expr) *Value {
	switch x := e.(type) {
	case *ast.Int, *ast.Float, *ast.String, *ast.Path:
		return constCell(e)
	case *ast.Var:
		if v := st.lookupVarNoEval(env, x); v != nil {
			return v
		}
	}
	return st.newThunk(e, env)
}

func (st *State) lookupVarNoEval(env *Env, x *ast.Var) *Value {
	for l := x.Up; l > 0; l-- {
		env = env.up
	}
	if !x.FromWith {
		return env.at(x.Slot)
	}
	for {
		ws := env.at(0)
		if ws.kind != KAttrs {
			if ws.kind >= KThunk {
				return nil
			}
			st.fail(ast.Pos{}, "value is %s while a set was expected", showType(ws))
		}
		if a := ws.Attrs().Get(x.Name); a != nil {
			return a.Val
		}
		if outerWith(env) == noOuterWith {
			st.fail(x.Pos, "undefined variable '%s'", st.syms.Name(x.Name))
		}
		env = outerWith(env)
	}
}

func (st *State) lookupVar(env *Env, x *ast.Var) *Value {
	for l := x.Up; l > 0; l-- {
		env = env.up
	}
	if !x.FromWith {
		return env.at(x.Slot)
	}
	for {
		ws := env.at(0)
		if ws.kind != KAttrs {
			st.force(ws, ast.Pos{})
			if ws.kind != KAttrs {
				st.fail(ast.Pos{}, "value is %s while a set was expected", showType(ws))
			}
		}
		if a := ws.Attrs().Get(x.Name); a != nil {
			return a.Val
		}
		if outerWith(env) == noOuterWith {
			err := &Error{Kind: ErrUndefined, Msg: "undefined variable '" + st.syms.Name(x.Name) + "'", Pos: x.Pos}
			throwErr(err)
		}
		env = outerWith(env)
	}
}

// force evaluates v to weak head normal form in place.
func (st *State) force(v *Value, pos ast.Pos) {
	switch v.kind {
	case KThunk:
		st.forceThunk(v, pos)
	case KApp:
		st.forceApp(v, pos)
	case KGenApp:
		st.forceGenApp(v, (*genApp)(v.p), pos)
	case KBlackhole, KBlackholeApp, KBlackholeGen:
		throwErr(&Error{Kind: ErrInfRec, Msg: "infinite recursion encountered", Pos: pos})
	}
}

// enter counts one level of evaluation depth (and polls for an
// interrupt every 65536 calls); small enough to be inlined, the rare
// cases are in enterSlow.
func (st *State) enter(pos ast.Pos) {
	st.depth++
	st.polls++
	if st.depth > st.maxDepth || st.polls&0xffff == 0 {
		st.enterSlow()
	}
}

func (st *State) enterSlow() {
	if st.depth > st.maxDepth {
		throwErr(&Error{Kind: ErrStack, Msg: "stack overflow (possible infinite recursion)"})
	}
	if st.interrupted != nil && st.interrupted() {
		throwErr(&Error{Kind: ErrAbort, Msg: "interrupted by the user"})
	}
}

// State.forcing lists the cells under evaluation (black holes), so that
// when an error unwinds past one it can be made re-evaluable again (see
// unwindTo). A black hole keeps its thunk's expression (or pending
// application) and frame in p and env; only the kind changes. Keeping
// this list instead of a deferred function per thunk keeps forcing cheap.

func (st *State) forceThunk(v *Value, pos ast.Pos) {
	v.kind = KBlackhole
	st.forcing = append(st.forcing, v)
	st.enter(pos)
	c := (*exprCode)(v.p)
	if run := c.run; run != nil {
		*v = run(st, v.env)
	} else if c.forced || st.opts.compileFirst {
		*v = c.code()(st, v.env)
	} else {
		c.forced = true
		*v = st.interp(v.env, c.e)
	}
	st.depth--
	// (not cleared: the next push overwrites it; until then it keeps
	// one forced cell alive)
	st.forcing = st.forcing[:len(st.forcing)-1]
}

func (st *State) forceApp(v *Value, pos ast.Pos) {
	fn, arg := appParts(v)
	v.kind = KBlackholeApp
	st.forcing = append(st.forcing, v)
	st.enter(pos)
	base := len(st.argStack)
	st.argStack = append(st.argStack, arg)
	r := st.callFunction(fn, st.argStack[base:base+1:base+1], pos)
	st.argStack[base] = nil
	st.argStack = st.argStack[:base]
	*v = r
	st.depth--
	// (not cleared: the next push overwrites it; until then it keeps
	// one forced cell alive)
	st.forcing = st.forcing[:len(st.forcing)-1]
}

// evalMark records the evaluator's stacks, for unwindTo.
type evalMark struct{ depth, forcing, args, traces int }

func (st *State) mark() evalMark {
	return evalMark{st.depth, len(st.forcing), len(st.argStack), len(st.traces)}
}

// unwindTo is called where an evaluation error is caught and not
// re-raised (tryEval, the API boundary): cells left as black holes by
// the failed evaluation become thunks again, as in Nix, and the depth
// counter and argument stack are restored.
func (st *State) unwindTo(m evalMark) {
	for i := len(st.forcing) - 1; i >= m.forcing; i-- {
		if v := st.forcing[i]; v.kind >= KBlackhole {
			v.kind = unBlackhole(v.kind)
		}
	}
	clear(st.forcing[m.forcing:])
	st.forcing = st.forcing[:m.forcing]
	clear(st.argStack[min(m.args, len(st.argStack)):])
	st.argStack = st.argStack[:min(m.args, len(st.argStack))]
	st.depth = m.depth
	clear(st.traces[min(m.traces, len(st.traces)):])
	st.traces = st.traces[:min(m.traces, len(st.traces))]
}

// protect runs f, turning an evaluation error into an error value and
// unwinding the evaluator's state.
func (st *State) protect(f func()) (err error) {
	m := st.mark()
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				st.collectTraces(e, m.traces)
				st.unwindTo(m)
				err = e
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

// Force evaluates v to weak head normal form (exported for the CLI layer).
func (st *State) Force(v *Value) error {
	return st.protect(func() { st.force(v, ast.Pos{}) })
}

// evalNode is the evaluator for the node kinds compile leaves to it
// (compile.go); st.eval is the entry point.
func (st *State) evalNode(env *Env, e ast.Expr) Value {
	switch e := e.(type) {
	case *ast.Select:
		return st.evalSelect(env, e)
	case *ast.HasAttr:
		return st.evalHasAttr(env, e)
	case *ast.Attrs:
		return st.evalAttrs(env, e)
	case *ast.List:
		elems := make([]*Value, len(e.Elems))
		for i, x := range e.Elems {
			elems[i] = st.lazy(env, x)
		}
		return ListValue(elems)
	case *ast.With:
		wf := &withFrame{e: Env{up: env}, outer: noOuterWith}
		env2 := &wf.e
		if e.PrevWith > 0 {
			w := env2
			for l := e.PrevWith; l > 0; l-- {
				w = w.up
			}
			wf.outer = w
		}
		env2.set(0, st.newThunk(e.Attrs, env))
		return st.eval(env2, e.Body)
	case *ast.Assert:
		if !st.evalBool(env, e.Cond, e.Pos) {
			var b stringsBuilder
			ast.Show(&b, st.syms, e.Cond)
			throwErr(&Error{Kind: ErrAssert, Msg: "assertion '" + b.String() + "' failed", Pos: e.Pos})
		}
		return st.eval(env, e.Body)
	case *ast.Not:
		return BoolValue(!st.evalBool(env, e.E, e.Pos))
	case *ast.BinOp:
		return st.evalBinOp(env, e)
	case *ast.ConcatStrings:
		return st.evalConcat(env, e)
	case *ast.CurPos:
		return st.posValue(e.Pos)
	}
	st.fail(e.Position(), "internal error: unknown expression %T", e)
	panic("unreachable")
}

func (st *State) evalBool(env *Env, e ast.Expr, pos ast.Pos) bool {
	v := st.eval(env, e)
	if v.kind != KBool {
		st.typeError(cell(v), "a Boolean", pos)
	}
	return v.n != 0
}

func (st *State) attrName(env *Env, a ast.AttrName) ast.Symbol {
	if a.Expr == nil {
		return a.Sym
	}
	return st.nameSymbol(st.eval(env, a.Expr), a.Expr.Position())
}

// nameSymbol interns the attribute name v stands for, or fails: a string
// without context through the symbol cached in it, anything else through
// internName.
func (st *State) nameSymbol(v Value, pos ast.Pos) ast.Symbol {
	if v.kind == KString {
		if str := (*Str)(v.p); len(str.Ctx) == 0 {
			return st.internStr(str)
		}
	}
	return st.internName(v, pos)
}

// internName is nameSymbol's slow path. (Taking v's address here, not
// in nameSymbol, keeps the common case's copy off the heap.)
func (st *State) internName(v Value, pos ast.Pos) ast.Symbol {
	return st.syms.Intern(st.forceStringNoCtx(&v, pos))
}

// internStr interns a context-free string, caching the symbol in it.
func (st *State) internStr(s *Str) ast.Symbol {
	if s.sym == 0 {
		s.sym = int32(st.syms.Intern(s.S)) + 1
	}
	return ast.Symbol(s.sym - 1)
}

func (st *State) evalSelect(env *Env, e *ast.Select) Value {
	// The selected-from value stays in v (already in WHNF: eval returns
	// it so) and cur points at attribute cells after the first step; not
	// taking v's address keeps it off the heap. Once an attribute has been
	// selected (pos2 set), errors get Nix's "while evaluating the
	// attribute" trace line; the deferred handler that adds it is only set
	// up where an error can come from evaluation (selectTrace), so the
	// common path has no defer.
	return st.evalSelectFrom(env, e, st.eval(env, e.E))
}

// evalSelectFrom is evalSelect once e.E has been evaluated to v.
func (st *State) evalSelectFrom(env *Env, e *ast.Select, v Value) Value {
	var cur *Value
	var pos2 *ast.Pos
	for _, an := range e.Path {
		var name ast.Symbol
		if an.Expr == nil {
			name = an.Sym
		} else if pos2 == nil {
			name = st.attrName(env, an)
		} else {
			st.selectTrace(env, e, pos2, func() { name = st.attrName(env, an) })
		}
		var b Bindings
		isSet := false
		if cur == nil {
			if v.kind == KAttrs {
				b, isSet = v.Attrs(), true
			}
		} else {
			if cur.kind >= KThunk {
				st.selectTrace(env, e, pos2, func() { st.force(cur, e.Pos) })
			}
			if cur.kind == KAttrs {
				b, isSet = cur.Attrs(), true
			}
		}
		var a *Attr
		if isSet {
			a = b.Get(name)
		}
		if a == nil {
			if e.Default != nil {
				return st.eval(env, e.Default)
			}
			var err *Error
			if !isSet {
				what := cur
				if cur == nil {
					what = cell(v)
				}
				err = &Error{Msg: "value is " + showType(what) + " while a set was expected", Pos: e.Pos}
			} else {
				names := make([]string, 0, len(b.Attrs))
				for _, x := range b.Attrs {
					names = append(names, st.syms.Name(x.Name))
				}
				err = &Error{Msg: "attribute '" + st.syms.Name(name) + "' missing", Pos: e.Pos,
					Suggestions: suggestions(st.syms.Name(name), names)}
			}
			if pos2 != nil {
				st.selectTrace(env, e, pos2, func() { throwErr(err) })
			}
			throwErr(err)
		}
		cur, pos2 = a.Val, st.attrPos(a.Pos)
	}
	if cur.kind >= KThunk {
		fpos := e.Pos
		if pos2 != nil && pos2.IsValid() {
			fpos = *pos2
		}
		st.selectTrace(env, e, pos2, func() { st.force(cur, fpos) })
	}
	return *cur
}

// selectTrace runs f under the "while evaluating the attribute" trace
// frame of Nix's ExprSelect::eval catch block.
func (st *State) selectTrace(env *Env, e *ast.Select, pos2 *ast.Pos, f func()) {
	if pos2 == nil || pos2.Src == nil || pos2.Src == st.derivationSrc {
		f()
		return
	}
	st.pushTrace(traceFrame{pos: *pos2, env: env, sel: e})
	f()
	st.popTrace()
}

func (st *State) showAttrPath(env *Env, path []ast.AttrName) string {
	var b stringsBuilder
	for i, a := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		if a.Expr == nil {
			b.WriteString(st.syms.Name(a.Sym))
		} else {
			// Nix evaluates the name again for the trace; keep it cheap
			// and safe: show the dynamic marker when it cannot be had.
			var name ast.Symbol
			if st.protect(func() { name = st.attrName(env, a) }) != nil {
				b.WriteString("\"${...}\"")
			} else {
				b.WriteString(st.syms.Name(name))
			}
		}
	}
	return b.String()
}

func (st *State) evalHasAttr(env *Env, e *ast.HasAttr) Value {
	v := st.eval(env, e.E)
	var cur *Value
	for _, an := range e.Path {
		var b Bindings
		isSet := false
		if cur == nil {
			if v.kind == KAttrs {
				b, isSet = v.Attrs(), true
			}
		} else {
			st.force(cur, ast.Pos{})
			if cur.kind == KAttrs {
				b, isSet = cur.Attrs(), true
			}
		}
		name := st.attrName(env, an)
		if !isSet {
			return BoolValue(false)
		}
		a := b.Get(name)
		if a == nil {
			return BoolValue(false)
		}
		cur = a.Val
	}
	return BoolValue(true)
}

func (st *State) evalAttrs(env *Env, e *ast.Attrs) Value {
	n := len(e.Attrs)
	b := newBindings(n, n+len(e.Dynamic))
	attrs := b.Attrs
	dynEnv := env
	if e.Rec {
		env2 := newEnv(env, n)
		dynEnv = env2
		hasOverrides := e.Find(st.sOverrides) >= 0
		for i := range e.Attrs {
			a := &e.Attrs[i]
			var v *Value
			if hasOverrides && !a.Inherited {
				v = st.newThunk(a.Value, env2)
			} else if a.Inherited {
				v = st.lazy(env, a.Value)
			} else {
				v = st.lazy(env2, a.Value)
			}
			env2.set(i, v)
			attrs[i] = Attr{Name: a.Name, Pos: st.defPos(a), Val: v}
		}
		if hasOverrides {
			ov := attrs[e.Find(st.sOverrides)].Val
			st.force(ov, ast.Pos{})
			if ov.kind != KAttrs {
				st.fail(ast.Pos{}, "value is %s while a set was expected", showType(ov))
			}
			for _, o := range ov.Attrs().Attrs {
				if j := e.Find(o.Name); j >= 0 {
					attrs[j] = o
					env2.set(j, o.Val)
				} else {
					attrs = append(attrs, o)
				}
			}
			sortAttrs(attrs)
		}
	} else {
		for i := range e.Attrs {
			a := &e.Attrs[i]
			attrs[i] = Attr{Name: a.Name, Pos: st.defPos(a), Val: st.lazy(env, a.Value)}
		}
	}
	b.Attrs = attrs
	for i := range e.Dynamic {
		d := &e.Dynamic[i]
		nv := st.eval(dynEnv, d.Name)
		if nv.kind == KNull {
			continue
		}
		sym := st.nameSymbol(nv, d.Pos)
		if old := b.Get(sym); old != nil {
			st.fail(d.Pos, "dynamic attribute '%s' already defined at %s", st.syms.Name(sym), posString(st.attrPos(old.Pos)))
		}
		if l, ok := d.Value.(*ast.Lambda); ok && !lambdaNamed(l) {
			l.Name = sym
		}
		b.Attrs = append(b.Attrs, Attr{Name: sym, Pos: st.posNumber(&d.Pos, &d.PosID), Val: st.lazy(dynEnv, d.Value)})
		sortAttrs(b.Attrs)
	}
	return AttrsValue(b)
}

func posString(p *ast.Pos) string {
	if p == nil {
		return "undefined position"
	}
	return p.String()
}

func (st *State) evalBinOp(env *Env, e *ast.BinOp) Value {
	switch e.Op {
	case ast.OpEq, ast.OpNEq:
		a := st.eval(env, e.A)
		b := st.eval(env, e.B)
		eq := st.eqForced(&a, &b, e.Pos)
		return BoolValue(eq == (e.Op == ast.OpEq))
	case ast.OpAnd:
		if !st.evalBool(env, e.A, e.Pos) {
			return BoolValue(false)
		}
		return BoolValue(st.evalBool(env, e.B, e.Pos))
	case ast.OpOr:
		if st.evalBool(env, e.A, e.Pos) {
			return BoolValue(true)
		}
		return BoolValue(st.evalBool(env, e.B, e.Pos))
	case ast.OpImpl:
		if !st.evalBool(env, e.A, e.Pos) {
			return BoolValue(true)
		}
		return BoolValue(st.evalBool(env, e.B, e.Pos))
	case ast.OpUpdate:
		a := st.eval(env, e.A)
		st.needSet(&a)
		b := st.eval(env, e.B)
		st.needSet(&b)
		return updateAttrs(a, b)
	case ast.OpConcatLists:
		a := st.eval(env, e.A)
		if a.kind != KList {
			st.fail(e.Pos, "value is %s while a list was expected", showType(&a))
		}
		b := st.eval(env, e.B)
		if b.kind != KList {
			st.fail(e.Pos, "value is %s while a list was expected", showType(&b))
		}
		return concatLists([]Value{a, b})
	}
	panic("unknown binop")
}

// needSet fails unless v (evaluated) is a set: the operand check of //.
func (st *State) needSet(v *Value) {
	if v.kind != KAttrs {
		st.fail(ast.Pos{}, "value is %s while a set was expected", showType(v))
	}
}

func updateAttrs(a, b Value) Value {
	x, y := a.Attrs().Attrs, b.Attrs().Attrs
	if len(x) == 0 {
		return b
	}
	if len(y) == 0 {
		return a
	}
	nb := newBindings(0, len(x)+len(y))
	out := nb.Attrs
	// Runs of one side between attributes of the other are found by
	// galloping and copied whole: merging a few attributes into a large
	// set (`acc // { x = …; }`), or sets whose names were interned in
	// blocks, copies long runs.
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		if k := gallop(x, i, y[j].Name); k > i {
			out = append(out, x[i:k]...)
			i = k
			if i == len(x) {
				break
			}
		}
		if x[i].Name == y[j].Name {
			i++ // y's attribute wins
			if i == len(x) {
				break
			}
		}
		k := gallop(y, j+1, x[i].Name)
		out = append(out, y[j:k]...)
		j = k
	}
	out = append(out, x[i:]...)
	out = append(out, y[j:]...)
	nb.Attrs = out
	return AttrsValue(nb)
}

// gallop returns the first index k >= i of a (sorted by name) whose
// name is not below sym: exponential steps from i, then binary search.
func gallop(a []Attr, i int, sym ast.Symbol) int {
	if i >= len(a) || a[i].Name >= sym {
		return i
	}
	lo, step := i+1, 1 // a[lo-1] < sym
	hi := lo
	for hi < len(a) && a[hi].Name < sym {
		lo = hi + 1
		hi += step
		step *= 2
	}
	hi = min(hi, len(a))
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a[m].Name < sym {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// concatLists concatenates forced lists; if only one is non-empty it is
// returned itself (shared storage, relevant for «repeated»).
func concatLists(ls []Value) Value {
	total, nonEmpty := 0, -1
	for i := range ls {
		n := len(ls[i].Elems())
		if n > 0 {
			if nonEmpty == -1 {
				nonEmpty = i
			} else {
				nonEmpty = -2
			}
		}
		total += n
	}
	if nonEmpty >= 0 {
		return ls[nonEmpty]
	}
	if total == 0 && len(ls) > 0 {
		return ListValue(nil)
	}
	out := make([]*Value, 0, total)
	for i := range ls {
		out = append(out, ls[i].Elems()...)
	}
	return ListValue(out)
}

// forceGenApp forces v, an element of a genList list (see genApp).
func (st *State) forceGenApp(v *Value, g *genApp, pos ast.Pos) {
	arg := &g.ints[v.n]
	v.kind = KBlackholeGen
	st.forcing = append(st.forcing, v)
	st.enter(pos)
	base := len(st.argStack)
	st.argStack = append(st.argStack, arg)
	r := st.callFunction(g.fn, st.argStack[base:base+1:base+1], pos)
	st.argStack[base] = nil
	st.argStack = st.argStack[:base]
	*v = r
	st.depth--
	// (not cleared: the next push overwrites it; until then it keeps
	// one forced cell alive)
	st.forcing = st.forcing[:len(st.forcing)-1]
}
