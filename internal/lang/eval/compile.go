package eval

import (
	"gonix/internal/lang/ast"
	"unsafe"
)

// code is the compiled form of an expression: evaluating it in env gives
// the expression's value in weak head normal form.
//
// Every node is compiled once, on its first evaluation, into a closure
// that holds what is fixed about the node (the slot of a variable, the
// compiled code of its operands, the cell of a constant), so that running
// it takes no type switch over the syntax tree and each kind of node has
// a small Go frame of its own. Node kinds that gain nothing from it are
// compiled to a call of evalNode, the tree walker. The closures keep
// nothing of a State: the same tree may be evaluated by several.
type code func(st *State, env *Env) Value

// eval evaluates e in env to weak head normal form.
func (st *State) eval(env *Env, e ast.Expr) Value {
	if c := (*exprCode)(*e.CodeSlot()); c != nil && c.run != nil {
		return c.run(st, env)
	}
	return compile(e)(st, env)
}

// compile returns e's code, compiling it on first use.
func compile(e ast.Expr) code {
	return exprOf(e).code()
}

// exprOf returns e's exprCode, making it on first use.
func exprOf(e ast.Expr) *exprCode {
	slot := e.CodeSlot()
	if c := (*exprCode)(*slot); c != nil {
		return c
	}
	c := &exprCode{e: e}
	*slot = unsafe.Pointer(c)
	return c
}

// code returns c's compiled code, compiling it on first use.
func (c *exprCode) code() code {
	if c.run == nil {
		c.run = compileNode(c.e)
	}
	return c.run
}

func compileNode(e ast.Expr) code {
	switch e := e.(type) {
	case *ast.Int:
		v := Value{kind: KInt, n: e.Val}
		return func(*State, *Env) Value { return v }
	case *ast.Float:
		v := FloatValue(e.Val)
		return func(*State, *Env) Value { return v }
	case *ast.String, *ast.Path:
		c := constCell(e)
		return func(*State, *Env) Value { return *c }
	case *ast.Var:
		return compileVar(e, e.Pos)
	case *ast.Lambda:
		return func(_ *State, env *Env) Value { return lambdaValue(e, env) }
	case *ast.Call:
		return compileCall(e)
	case *ast.If:
		cond, then, els := compile(e.Cond), compile(e.Then), compile(e.Else)
		cpos := e.Cond.Position()
		return func(st *State, env *Env) Value {
			c := cond(st, env)
			if c.kind != KBool {
				st.typeError(cell(c), "a Boolean", cpos)
			}
			if c.n != 0 {
				return then(st, env)
			}
			return els(st, env)
		}
	case *ast.Select:
		if len(e.Path) == 1 && e.Path[0].Expr == nil {
			return compileSelect1(e)
		}
		from := compile(e.E)
		return func(st *State, env *Env) Value { return st.evalSelectFrom(env, e, from(st, env)) }
	case *ast.ConcatStrings:
		if !e.ForceString && len(e.Parts) == 2 {
			return compileAdd(e)
		}
	case *ast.Let:
		return compileLet(e)
	case *ast.Attrs:
		if !e.Rec && len(e.Dynamic) == 0 {
			return compileAttrs(e)
		}
	case *ast.Not:
		a := compile(e.E)
		return func(st *State, env *Env) Value {
			x := a(st, env)
			if x.kind != KBool {
				st.typeError(cell(x), "a Boolean", e.Pos)
			}
			return BoolValue(x.n == 0)
		}
	case *ast.BinOp:
		if e.Op == ast.OpAnd || e.Op == ast.OpOr || e.Op == ast.OpImpl {
			// a && b, a || b, a -> b: b only when a does not decide
			a, b := compile(e.A), compile(e.B)
			decides := e.Op == ast.OpOr // the value of a that decides
			result := e.Op != ast.OpAnd // what the operation then is
			return func(st *State, env *Env) Value {
				x := a(st, env)
				if x.kind != KBool {
					st.typeError(cell(x), "a Boolean", e.Pos)
				}
				if (x.n != 0) == decides {
					return BoolValue(result)
				}
				y := b(st, env)
				if y.kind != KBool {
					st.typeError(cell(y), "a Boolean", e.Pos)
				}
				return y
			}
		}
		if e.Op == ast.OpUpdate {
			a, b := compile(e.A), compile(e.B)
			return func(st *State, env *Env) Value {
				x := a(st, env)
				st.needSet(&x)
				y := b(st, env)
				st.needSet(&y)
				return updateAttrs(x, y)
			}
		}
		if e.Op == ast.OpEq || e.Op == ast.OpNEq {
			a, b := compile(e.A), compile(e.B)
			want := e.Op == ast.OpEq
			return func(st *State, env *Env) Value {
				x := a(st, env)
				y := b(st, env)
				if x.kind == KInt && y.kind == KInt {
					return BoolValue((x.n == y.n) == want)
				}
				return BoolValue(st.eqForced(&x, &y, e.Pos) == want)
			}
		}
	}
	return func(st *State, env *Env) Value { return st.evalNode(env, e) }
}

// compileVar compiles a variable read that forces the variable's cell
// with position pos (the variable's own, or, for an operand of a strict
// builtin, the call's: Nix reports errors there).
func compileVar(e *ast.Var, pos ast.Pos) code {
	if e.FromWith {
		return func(st *State, env *Env) Value {
			v := st.lookupVar(env, e)
			if v.kind >= KThunk {
				st.force(v, pos)
			}
			return *v
		}
	}
	slot := e.Slot
	if e.Base {
		// the base frame ends every chain: read it without the walk
		return func(st *State, env *Env) Value {
			v := st.baseVals[slot]
			if v.kind >= KThunk {
				st.force(v, pos)
			}
			return *v
		}
	}
	switch e.Up {
	case 0:
		return func(st *State, env *Env) Value {
			v := env.at(slot)
			if v.kind >= KThunk {
				st.force(v, pos)
			}
			return *v
		}
	case 1:
		return func(st *State, env *Env) Value {
			v := env.up.at(slot)
			if v.kind >= KThunk {
				st.force(v, pos)
			}
			return *v
		}
	case 2:
		return func(st *State, env *Env) Value {
			v := env.up.up.at(slot)
			if v.kind >= KThunk {
				st.force(v, pos)
			}
			return *v
		}
	}
	up := e.Up
	return func(st *State, env *Env) Value {
		for l := up; l > 0; l-- {
			env = env.up
		}
		v := env.at(slot)
		if v.kind >= KThunk {
			st.force(v, pos)
		}
		return *v
	}
}

// compileOperand compiles an argument of a strict builtin (see
// evalOperand).
func compileOperand(e ast.Expr, pos ast.Pos) code {
	if x, ok := e.(*ast.Var); ok {
		return compileVar(x, pos)
	}
	return compile(e)
}

func compileCall(e *ast.Call) code {
	if v, ok := e.Fn.(*ast.Var); ok && !v.FromWith && len(e.Args) <= 2 {
		return compileVarCall(e, v)
	}
	largs := compileLazyArgs(e.Args)
	fnc := compile(e.Fn)
	switch len(e.Args) {
	case 1:
		arg := e.Args[0]
		spec, keep := compileSpec(arg), specSlots(arg)
		return func(st *State, env *Env) Value {
			fn := fnc(st, env)
			if fn.kind == KLambda && !st.showTrace {
				if l := (*ast.Lambda)(fn.p); !l.HasFormals {
					if spec != nil && l.FrameSize == 1 {
						if x, ok := spec(st, env); ok {
							return st.callValue1(l, fn.env, x, e.Pos)
						}
					}
					if spec != nil && keep >= 0 {
						env = copyFrame(env, keep) // see specSlots
					}
					return st.callSimple(l, fn.env, env, &largs[0], e.Pos)
				}
			}
			if spec != nil && keep >= 0 {
				env = copyFrame(env, keep)
			}
			if fn.kind == KPrimOp {
				if op := (*PrimOp)(fn.p); op.Arity == 1 {
					return st.call1PrimOp(op, &largs[0], env, e.Pos)
				}
			}
			return st.callArgs(env, e, largs, fn)
		}
	case 2:
		a, b := compileOperand(e.Args[0], e.Pos), compileOperand(e.Args[1], e.Pos)
		return func(st *State, env *Env) Value {
			fn := fnc(st, env)
			switch fn.kind {
			case KPrimOp:
				op := (*PrimOp)(fn.p)
				if op.fast != fastNone {
					return st.fast2(op, a, b, env, e.Pos)
				}
				if op.Arity == 2 {
					return st.call2PrimOp(op, largs, env, e.Pos)
				}
			case KLambda:
				if l := (*ast.Lambda)(fn.p); l.FrameSize == 2 && l.ChainPos == 0 && !st.showTrace {
					return st.call2Chain(l, fn.env, env, largs, e.Pos)
				}
			}
			return st.callArgs(env, e, largs, fn)
		}
	}
	return func(st *State, env *Env) Value { return st.callArgs(env, e, largs, fnc(st, env)) }
}

// compileVarCall compiles a call of one or two arguments whose function
// is a lexical variable: the function's cell is read in place (its value
// is not copied) and, for a strict binary builtin with an integer
// literal as second operand, the literal is used directly. The dispatch
// after the function is read mirrors compileCall's on purpose: sharing
// it through a method (tried 2026-11-22) cost 1.6 % of all instructions
// on the modules workload.
func compileVarCall(e *ast.Call, fnv *ast.Var) code {
	largs := compileLazyArgs(e.Args)
	up, slot, vpos, base := fnv.Up, fnv.Slot, fnv.Pos, fnv.Base
	if len(e.Args) == 1 {
		arg := e.Args[0]
		spec, keep := compileSpec(arg), specSlots(arg)
		return func(st *State, env *Env) Value {
			fv := varCell(st, env, up, slot, base)
			if fv.kind >= KThunk {
				st.force(fv, vpos)
			}
			if fv.kind == KLambda && !st.showTrace {
				if l := (*ast.Lambda)(fv.p); !l.HasFormals {
					if spec != nil && l.FrameSize == 1 {
						if x, ok := spec(st, env); ok {
							return st.callValue1(l, fv.env, x, e.Pos)
						}
					}
					if spec != nil && keep >= 0 {
						env = copyFrame(env, keep) // see specSlots
					}
					return st.callSimple(l, fv.env, env, &largs[0], e.Pos)
				}
			}
			if spec != nil && keep >= 0 {
				env = copyFrame(env, keep)
			}
			if fv.kind == KPrimOp {
				if op := (*PrimOp)(fv.p); op.Arity == 1 {
					return st.call1PrimOp(op, &largs[0], env, e.Pos)
				}
			}
			return st.callArgs(env, e, largs, *fv)
		}
	}
	a := compileOperand(e.Args[0], e.Pos)
	if k, ok := e.Args[1].(*ast.Int); ok {
		kv := Value{kind: KInt, n: k.Val}
		return func(st *State, env *Env) Value {
			fv := varCell(st, env, up, slot, base)
			if fv.kind >= KThunk {
				st.force(fv, vpos)
			}
			if fv.kind == KPrimOp {
				if op := (*PrimOp)(fv.p); op.fast != fastNone {
					x := a(st, env)
					if x.kind == KInt {
						// (intOp written out: it is too big to inline)
						switch op.fast {
						case fastSub:
							return Value{kind: KInt, n: x.n - kv.n}
						case fastAdd:
							return Value{kind: KInt, n: x.n + kv.n}
						case fastMul:
							return Value{kind: KInt, n: x.n * kv.n}
						case fastLess:
							return Value{kind: KBool, n: b2i(x.n < kv.n)}
						case fastBitAnd:
							return Value{kind: KInt, n: x.n & kv.n}
						}
						if r, ok := intOpRest(op.fast, x.n, kv.n); ok {
							return r
						}
					}
					return op.Fn(st, e.Pos, []*Value{cell(x), cell(kv)})
				}
			}
			return st.callArgs(env, e, largs, *fv)
		}
	}
	b := compileOperand(e.Args[1], e.Pos)
	return func(st *State, env *Env) Value {
		fv := varCell(st, env, up, slot, base)
		if fv.kind >= KThunk {
			st.force(fv, vpos)
		}
		switch fv.kind {
		case KPrimOp:
			op := (*PrimOp)(fv.p)
			if op.fast != fastNone {
				return st.fast2(op, a, b, env, e.Pos)
			}
			if op.Arity == 2 {
				return st.call2PrimOp(op, largs, env, e.Pos)
			}
		case KLambda:
			if l := (*ast.Lambda)(fv.p); l.FrameSize == 2 && l.ChainPos == 0 && !st.showTrace {
				return st.call2Chain(l, fv.env, env, largs, e.Pos)
			}
		}
		return st.callArgs(env, e, largs, *fv)
	}
}

// call1PrimOp calls op, a builtin of one argument, with la made lazy in
// env (`isAttrs x`, `length l`, `builtins.head l`): what callWHNF does
// for it, without its loop.
func (st *State) call1PrimOp(op *PrimOp, la *lazyArg, env *Env, pos ast.Pos) Value {
	base := len(st.argStack)
	st.argStack = append(st.argStack, la.get(st, env))
	v := op.Fn(st, pos, st.argStack[base:base+1:base+1])
	st.argStack[base] = nil
	st.argStack = st.argStack[:base]
	return v
}

// call2PrimOp calls op, a builtin of two arguments, with largs made lazy
// in env (`map f l`, `mapAttrs f s`, `elem x l`).
func (st *State) call2PrimOp(op *PrimOp, largs []lazyArg, env *Env, pos ast.Pos) Value {
	base := len(st.argStack)
	a, b := lazy2(st, largs, env)
	st.argStack = append(st.argStack, a, b)
	v := op.Fn(st, pos, st.argStack[base:base+2:base+2])
	st.argStack[base], st.argStack[base+1] = nil, nil
	st.argStack = st.argStack[:base]
	return v
}

// call2Chain calls `a: b: …` (l, closed over cenv) with two arguments,
// made lazy in env, straight into the chain's frame: what callWHNF does
// for it, without its loop and the argument stack.
func (st *State) call2Chain(l *ast.Lambda, cenv, env *Env, largs []lazyArg, pos ast.Pos) Value {
	lc := st.lambdaBody(l.Body.(*ast.Lambda))
	var env2 *Env
	if !lc.reuse && (largs[0].x != nil || largs[1].x != nil) {
		// the body keeps its frame: frame and thunks in one allocation
		f := &struct {
			e  Env
			s1 *Value
			t  [2]Value
		}{}
		f.e.up = cenv
		for i := range 2 {
			if a := &largs[i]; a.x != nil {
				f.t[i] = thunkValue(a.x, env)
				f.e.set(i, &f.t[i])
			} else {
				f.e.set(i, a.get(st, env))
			}
		}
		env2 = &f.e
	} else {
		env2 = st.takeFrame(&st.frames2, cenv, 2)
		a, b := lazy2(st, largs, env)
		env2.set(0, a)
		env2.set(1, b)
	}
	st.enter(pos)
	v := lc.body(st, env2)
	st.depth--
	if lc.reuse {
		st.dropFrame(&st.frames2, env2, 2)
	}
	return v
}

// callSimple calls l, a lambda with a simple argument, closed over cenv,
// with the argument la of the caller's frame env: the commonest call,
// without the general loop of callWHNF. When la needs a new thunk, the
// frame and the thunk are allocated together.
func (st *State) callSimple(l *ast.Lambda, cenv, env *Env, la *lazyArg, pos ast.Pos) Value {
	var env2 *Env
	if l.FrameSize > 1 {
		env2 = st.chainFrame(l, cenv)
		env2.set(l.ChainPos, la.get(st, env))
	} else if la.x != nil {
		env2 = newEnv1ThunkCode(cenv, la.x, env)
	} else {
		lc := st.lambdaBody(l)
		if lc.reuse {
			// see lambdaCode.reuse
			env2 = st.takeFrame(&st.frames1, cenv, 1)
			env2.set(0, la.get(st, env))
			st.enter(pos)
			v := lc.body(st, env2)
			st.depth--
			st.dropFrame(&st.frames1, env2, 1)
			return v
		}
		env2 = st.newEnv1(cenv)
		env2.set(0, la.get(st, env))
	}
	st.enter(pos)
	v := st.lambdaBody(l).body(st, env2)
	st.depth--
	return v
}

// fast2 evaluates the operands a and b of a call of op, a builtin with
// an integer fast path, strictly and in order, and applies op.
func (st *State) fast2(op *PrimOp, a, b code, env *Env, pos ast.Pos) Value {
	x := a(st, env)
	if x.kind != KInt && op.fast >= fastBitAnd {
		// Nix's forceInt of the first operand fails before the second
		// is evaluated
		st.typeError(cell(x), "an integer", pos)
	}
	return st.callFast(op, x, b(st, env), pos)
}

// callFast applies a strict binary builtin with an integer fast path to
// two evaluated operands (the operands of the desugared - * / < need no
// cells then).
func (st *State) callFast(op *PrimOp, x, y Value, pos ast.Pos) Value {
	if x.kind == KInt && y.kind == KInt {
		// (intOp written out: it is too big to inline)
		switch op.fast {
		case fastSub:
			return Value{kind: KInt, n: x.n - y.n}
		case fastAdd:
			return Value{kind: KInt, n: x.n + y.n}
		case fastMul:
			return Value{kind: KInt, n: x.n * y.n}
		case fastLess:
			return Value{kind: KBool, n: b2i(x.n < y.n)}
		case fastBitAnd:
			return Value{kind: KInt, n: x.n & y.n}
		}
		if r, ok := intOpRest(op.fast, x.n, y.n); ok {
			return r
		}
	}
	return op.Fn(st, pos, []*Value{cell(x), cell(y)})
}

// callArgs applies the evaluated function fn to e's arguments, made lazy.
// Arguments go on a per-evaluator stack instead of a fresh slice: callWHNF
// and the builtins never keep the slice itself.
func (st *State) callArgs(env *Env, e *ast.Call, largs []lazyArg, fn Value) Value {
	base := len(st.argStack)
	st.argStack = appendLazy(st, st.argStack, largs, env)
	args := st.argStack[base:len(st.argStack):len(st.argStack)]
	v := st.callWHNF(fn, args, e.Pos)
	// clear, so that the stack's spare capacity keeps nothing alive
	clear(args)
	st.argStack = st.argStack[:base]
	return v
}

// compileSelect1 compiles `E.name` (one static name, with or without a
// default); anything but a present attribute goes the general way.
func compileSelect1(e *ast.Select) code {
	from := compile(e.E)
	name := e.Path[0].Sym
	var def code
	if e.Default != nil {
		def = compile(e.Default)
	}
	return func(st *State, env *Env) Value {
		v := from(st, env)
		if v.kind == KAttrs {
			if a := v.Attrs().Get(name); a != nil {
				cur := a.Val
				if cur.kind >= KThunk {
					fpos := e.Pos
					apos := st.attrPos(a.Pos)
					if apos != nil && apos.IsValid() {
						fpos = *apos
					}
					st.selectTrace(env, e, apos, func() { st.force(cur, fpos) })
				}
				return *cur
			}
		}
		if def != nil {
			// `E.name or D`: name missing, or E not a set
			return def(st, env)
		}
		return st.evalSelectFrom(env, e, v)
	}
}

// compileAdd compiles `a + b`, with integers added directly.
func compileAdd(e *ast.ConcatStrings) code {
	a, b := compile(e.Parts[0]), compile(e.Parts[1])
	return func(st *State, env *Env) Value {
		var pre [2]Value
		pre[0] = a(st, env)
		if pre[0].kind != KInt {
			return st.evalConcatFrom(env, e, &pre, 1)
		}
		pre[1] = b(st, env)
		if pre[1].kind == KInt {
			return Value{kind: KInt, n: pre[0].n + pre[1].n}
		}
		return st.evalConcatFrom(env, e, &pre, 2)
	}
}

func compileLet(e *ast.Let) code {
	body := compile(e.Body)
	defs := e.Attrs.Attrs
	args := make([]lazyArg, len(defs))
	thunks := 0
	for i := range defs {
		args[i] = compileLazy(defs[i].Value)
		if args[i].x != nil {
			thunks++
		}
	}
	return func(st *State, env *Env) Value {
		env2, cells := newLetEnv(env, len(defs), thunks)
		for i := range args {
			e := env2
			if defs[i].Inherited {
				e = env
			}
			if a := &args[i]; a.x != nil && len(cells) > 0 {
				c := &cells[0]
				cells = cells[1:]
				*c = thunkValue(a.x, e)
				env2.set(i, c)
			} else {
				env2.set(i, a.get(st, e))
			}
		}
		return body(st, env2)
	}
}

// newLetEnv returns the frame of a let with n bindings and, when n is
// small, cells for the thunks of its k bindings that need one, in the
// same allocation: the frame holds those cells and the thunks (all but
// inherited ones) hold the frame, so they live and die together anyway.
func newLetEnv(up *Env, n, k int) (*Env, []Value) {
	if k == 0 {
		return newEnv(up, n), nil
	}
	switch n {
	case 1:
		x := &struct {
			e Env
			t [1]Value
		}{}
		x.e.up = up
		return &x.e, x.t[:k]
	case 2:
		x := &struct {
			e Env
			a [1]*Value
			t [2]Value
		}{}
		x.e.up = up
		return &x.e, x.t[:k]
	case 3:
		x := &struct {
			e Env
			a [2]*Value
			t [3]Value
		}{}
		x.e.up = up
		return &x.e, x.t[:k]
	}
	if k < 2 {
		return newEnv(up, n), nil
	}
	// larger frames: the thunks still share one allocation
	return newEnv(up, n), make([]Value, k)
}

// varCell returns the cell of the lexical variable at (up, slot), or of
// the base frame's slot when base is set.
func varCell(st *State, env *Env, up, slot int, base bool) *Value {
	if base {
		return st.baseVals[slot]
	}
	for l := up; l > 0; l-- {
		env = env.up
	}
	return env.at(slot)
}

// specCode computes an argument expression now, instead of making a
// thunk of it, when that is sure to give the value forcing the thunk
// would, cannot fail and costs less than the thunk; ok=false otherwise.
type specCode func(st *State, env *Env) (v Value, ok bool)

// specSlots is how many slots of the innermost frame the speculated
// argument e (see compileSpec) reads. When the speculation does not
// apply, the argument's thunk is made over a copy of that much of the
// frame (copyFrame): the frame may be one a lambda call gives back to a
// free list when its body returns (lambdaCode.reuse, where noCapture
// counted on no thunk keeping it), and the thunk may outlive the call.
//
// It is -1 when the innermost frame is the base frame (a name of it is
// read at Up 0): that frame never goes back to a free list, and a copy
// would not have its slots.
func specSlots(e ast.Expr) int {
	c, ok := e.(*ast.Call)
	if !ok {
		return 0
	}
	n := 0
	for _, x := range append([]ast.Expr{c.Fn}, c.Args...) {
		if v, ok := x.(*ast.Var); ok && !v.FromWith && v.Up == 0 {
			if v.Base {
				return -1
			}
			n = max(n, v.Slot+1)
		}
	}
	return n
}

// compileSpec returns the specCode of e, or nil: e must be a call of a
// base-frame builtin with an integer fast path (`n - 1`, `i * 3`, `a < b`)
// whose operands are integer literals or lexical variables. At run time
// the operands' cells must already hold integers (a variable still a
// thunk is never forced: that could fail or diverge where the lazy
// argument would not), and the fast path must apply (not division by 0).
func compileSpec(e ast.Expr) specCode {
	c, ok := e.(*ast.Call)
	if !ok || len(c.Args) != 2 {
		return nil
	}
	fv, ok := c.Fn.(*ast.Var)
	if !ok || !fv.Base || fv.FromWith {
		return nil
	}
	slot := fv.Slot
	if v, ok := c.Args[0].(*ast.Var); ok && !v.FromWith && !v.Base {
		if k, ok := c.Args[1].(*ast.Int); ok {
			// `n - 1`: the commonest shape, without the operands' closures
			up, vslot, kn := v.Up, v.Slot, k.Val
			return func(st *State, env *Env) (Value, bool) {
				for l := up; l > 0; l-- {
					env = env.up
				}
				x := env.at(vslot)
				if x.kind != KInt || slot >= len(st.baseVals) {
					return Value{}, false
				}
				f := st.baseVals[slot]
				if f.kind != KPrimOp {
					return Value{}, false
				}
				return intOp((*PrimOp)(f.p).fast, x.n, kn)
			}
		}
	}
	a, b := peekInt(c.Args[0]), peekInt(c.Args[1])
	if a == nil || b == nil {
		return nil
	}
	return func(st *State, env *Env) (Value, bool) {
		if slot >= len(st.baseVals) {
			return Value{}, false
		}
		f := st.baseVals[slot]
		if f.kind != KPrimOp {
			return Value{}, false
		}
		op := (*PrimOp)(f.p).fast
		if op == fastNone {
			return Value{}, false
		}
		x, ok := a(env)
		if !ok {
			return Value{}, false
		}
		y, ok := b(env)
		if !ok {
			return Value{}, false
		}
		return intOp(op, x, y)
	}
}

// peekInt returns code that reads an integer literal, or a lexical
// variable whose cell already holds an integer, without forcing
// anything; nil for other expressions.
func peekInt(e ast.Expr) func(env *Env) (int64, bool) {
	switch x := e.(type) {
	case *ast.Int:
		n := x.Val
		return func(*Env) (int64, bool) { return n, true }
	case *ast.Var:
		if x.FromWith || x.Base {
			return nil
		}
		up, slot := x.Up, x.Slot
		return func(env *Env) (int64, bool) {
			for l := up; l > 0; l-- {
				env = env.up
			}
			v := env.at(slot)
			return v.n, v.kind == KInt
		}
	}
	return nil
}

// callValue1 calls l, a lambda with a simple argument and a frame of its
// own (FrameSize 1), closed over cenv, with the argument's value x
// already computed (see compileSpec): frame and cell are one allocation.
//
// When the body never keeps its frame nor its argument's cell (reuse
// and not keeps0), frame and cell come from a free list and go back to
// it.
func (st *State) callValue1(l *ast.Lambda, cenv *Env, x Value, pos ast.Pos) Value {
	if lc := st.lambdaBody(l); lc.reuse && !lc.keeps0 {
		var f *envValue
		if k := len(st.framesV); k > 0 {
			f = st.framesV[k-1]
			st.framesV = st.framesV[:k-1]
		} else {
			f = new(envValue)
		}
		f.e.up, f.t = cenv, x
		f.e.slot0 = &f.t
		st.enter(pos)
		v := lc.body(st, &f.e)
		st.depth--
		f.e.up, f.t, f.e.slot0 = nil, Value{}, nil
		if len(st.framesV) < 64 {
			st.framesV = append(st.framesV, f)
		}
		return v
	}
	env2 := newEnv1Value(cenv, x)
	st.enter(pos)
	v := st.lambdaBody(l).body(st, env2)
	st.depth--
	return v
}

// lazyArg is what lazy decides about an expression, decided once: a
// constant's cell, a lexical variable's place, or the exprCode a thunk
// of it needs.
type lazyArg struct {
	cell *Value    // constant
	x    *exprCode // thunk
	v    *ast.Var  // lexical variable (its cell, or a thunk of vx while unset)
	vx   *exprCode
	w    *ast.Var // variable from a with: decided at run time
}

func compileLazyArgs(es []ast.Expr) []lazyArg {
	out := make([]lazyArg, len(es))
	for i, e := range es {
		out[i] = compileLazy(e)
	}
	return out
}

func compileLazy(e ast.Expr) lazyArg {
	switch x := e.(type) {
	case *ast.Int, *ast.Float, *ast.String, *ast.Path:
		return lazyArg{cell: constCell(e)}
	case *ast.Var:
		if x.FromWith {
			return lazyArg{w: x}
		}
		// a binding later in the same let or rec set is still unset
		return lazyArg{v: x, vx: exprOf(e)}
	}
	return lazyArg{x: exprOf(e)}
}

// get is st.lazy(env, e) for the expression a was compiled from.
func (a *lazyArg) get(st *State, env *Env) *Value {
	switch {
	case a.x != nil:
		return newThunkCode(a.x, env)
	case a.cell != nil:
		return a.cell
	case a.v != nil:
		if c := varCell(st, env, a.v.Up, a.v.Slot, a.v.Base); c != nil {
			return c
		}
		return newThunkCode(a.vx, env)
	}
	return st.lazy(env, a.w)
}

// lazy2 is get of the two arguments largs in env, with their thunks in
// one allocation when both need one.
func lazy2(st *State, largs []lazyArg, env *Env) (*Value, *Value) {
	if x, y := largs[0].x, largs[1].x; x != nil && y != nil {
		c := new([2]Value)
		c[0], c[1] = thunkValue(x, env), thunkValue(y, env)
		return &c[0], &c[1]
	}
	return largs[0].get(st, env), largs[1].get(st, env)
}

// appendLazy appends get of every argument of largs in env to dst, the
// thunks among them in one allocation.
func appendLazy(st *State, dst []*Value, largs []lazyArg, env *Env) []*Value {
	k := 0
	for i := range largs {
		if largs[i].x != nil {
			k++
		}
	}
	var cells []Value
	if k >= 2 {
		cells = make([]Value, k)
	}
	for i := range largs {
		if a := &largs[i]; a.x != nil && len(cells) > 0 {
			c := &cells[0]
			cells = cells[1:]
			*c = thunkValue(a.x, env)
			dst = append(dst, c)
		} else {
			dst = append(dst, a.get(st, env))
		}
	}
	return dst
}

// compileAttrs compiles a set literal that is neither recursive nor has
// dynamic attributes: its attributes' values are made lazy as
// evalAttrs would, with what lazy decides fixed in advance.
func compileAttrs(e *ast.Attrs) code {
	args := make([]lazyArg, len(e.Attrs))
	thunks := 0
	for i := range e.Attrs {
		args[i] = compileLazy(e.Attrs[i].Value)
		if args[i].x != nil {
			thunks++
		}
	}
	return func(st *State, env *Env) Value {
		b, cells := newBindingsCells(len(args), thunks)
		for i := range args {
			var v *Value
			if a := &args[i]; a.x != nil && len(cells) > 0 {
				v = &cells[0]
				cells = cells[1:]
				*v = thunkValue(a.x, env)
			} else {
				v = a.get(st, env)
			}
			d := &e.Attrs[i]
			b.Attrs[i] = Attr{Name: d.Name, Pos: st.defPos(d), Val: v}
		}
		return AttrsValue(b)
	}
}
