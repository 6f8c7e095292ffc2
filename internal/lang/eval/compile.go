package eval

import (
	"gonix/internal/lang/ast"
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
	if c, ok := (*e.CodeSlot()).(code); ok {
		return c(st, env)
	}
	return compile(e)(st, env)
}

// compile returns e's code, compiling it on first use.
func compile(e ast.Expr) code {
	slot := e.CodeSlot()
	if c, ok := (*slot).(code); ok {
		return c
	}
	c := compileNode(e)
	*slot = c
	return c
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
		return func(_ *State, env *Env) Value { return Value{kind: KLambda, p: e, env: env} }
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
	case *ast.BinOp:
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
	switch e.Up {
	case 0:
		return func(st *State, env *Env) Value {
			v := env.vals[slot]
			if v.kind >= KThunk {
				st.force(v, pos)
			}
			return *v
		}
	case 1:
		return func(st *State, env *Env) Value {
			v := env.up.vals[slot]
			if v.kind >= KThunk {
				st.force(v, pos)
			}
			return *v
		}
	case 2:
		return func(st *State, env *Env) Value {
			v := env.up.up.vals[slot]
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
		v := env.vals[slot]
		if v.kind >= KThunk {
			st.force(v, pos)
		}
		return *v
	}
}

// needsThunk reports whether st.lazy always makes a new thunk for e.
func needsThunk(e ast.Expr) bool {
	switch e.(type) {
	case *ast.Int, *ast.Float, *ast.String, *ast.Path, *ast.Var:
		return false
	}
	return true
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
	fnc := compile(e.Fn)
	switch len(e.Args) {
	case 1:
		arg := e.Args[0]
		thunk := needsThunk(arg)
		return func(st *State, env *Env) Value {
			fn := fnc(st, env)
			if fn.kind == KLambda && !st.showTrace {
				if l := fn.p.(*ast.Lambda); !l.HasFormals {
					return st.callSimple(l, fn.env, env, arg, thunk, e.Pos)
				}
			}
			return st.callArgs(env, e, fn)
		}
	case 2:
		a, b := compileOperand(e.Args[0], e.Pos), compileOperand(e.Args[1], e.Pos)
		return func(st *State, env *Env) Value {
			fn := fnc(st, env)
			if fn.kind == KPrimOp {
				if op := fn.p.(*PrimOp); op.fast != fastNone {
					return st.callFast(op, a(st, env), b(st, env), e.Pos)
				}
			}
			return st.callArgs(env, e, fn)
		}
	}
	return func(st *State, env *Env) Value { return st.callArgs(env, e, fnc(st, env)) }
}

// compileVarCall compiles a call of one or two arguments whose function
// is a lexical variable: the function's cell is read in place (its value
// is not copied) and, for a strict binary builtin with an integer
// literal as second operand, the literal is used directly.
func compileVarCall(e *ast.Call, fnv *ast.Var) code {
	up, slot, vpos := fnv.Up, fnv.Slot, fnv.Pos
	if len(e.Args) == 1 {
		arg := e.Args[0]
		thunk := needsThunk(arg)
		return func(st *State, env *Env) Value {
			f := env
			for l := up; l > 0; l-- {
				f = f.up
			}
			fv := f.vals[slot]
			if fv.kind >= KThunk {
				st.force(fv, vpos)
			}
			if fv.kind == KLambda && !st.showTrace {
				if l := fv.p.(*ast.Lambda); !l.HasFormals {
					return st.callSimple(l, fv.env, env, arg, thunk, e.Pos)
				}
			}
			return st.callArgs(env, e, *fv)
		}
	}
	a := compileOperand(e.Args[0], e.Pos)
	if k, ok := e.Args[1].(*ast.Int); ok {
		kv := Value{kind: KInt, n: k.Val}
		return func(st *State, env *Env) Value {
			f := env
			for l := up; l > 0; l-- {
				f = f.up
			}
			fv := f.vals[slot]
			if fv.kind >= KThunk {
				st.force(fv, vpos)
			}
			if fv.kind == KPrimOp {
				if op := fv.p.(*PrimOp); op.fast != fastNone {
					x := a(st, env)
					if x.kind == KInt {
						if r, ok := intOp(op.fast, x.n, kv.n); ok {
							return r
						}
					}
					return op.Fn(st, e.Pos, []*Value{cell(x), cell(kv)})
				}
			}
			return st.callArgs(env, e, *fv)
		}
	}
	b := compileOperand(e.Args[1], e.Pos)
	return func(st *State, env *Env) Value {
		f := env
		for l := up; l > 0; l-- {
			f = f.up
		}
		fv := f.vals[slot]
		if fv.kind >= KThunk {
			st.force(fv, vpos)
		}
		if fv.kind == KPrimOp {
			if op := fv.p.(*PrimOp); op.fast != fastNone {
				return st.callFast(op, a(st, env), b(st, env), e.Pos)
			}
		}
		return st.callArgs(env, e, *fv)
	}
}

// callSimple calls l, a lambda with a simple argument, closed over cenv,
// with the argument expression arg of the caller's frame env: the
// commonest call, without the general loop of callWHNF. thunk says that
// arg needs a new thunk (see needsThunk); the frame and the thunk are
// then allocated together.
func (st *State) callSimple(l *ast.Lambda, cenv, env *Env, arg ast.Expr, thunk bool, pos ast.Pos) Value {
	var env2 *Env
	if l.FrameSize > 1 {
		env2 = st.chainFrame(l, cenv)
		env2.vals[l.ChainPos] = st.lazy(env, arg)
	} else if thunk {
		env2 = st.newEnv1Thunk(cenv, arg, env)
	} else {
		lc := st.lambdaBody(l)
		if lc.reuse {
			// see lambdaCode.reuse
			env2 = st.takeFrame(&st.frames1, cenv, 1)
			env2.vals[0] = st.lazy(env, arg)
			st.enter(pos)
			v := lc.body(st, env2)
			st.depth--
			st.dropFrame(&st.frames1, env2)
			return v
		}
		env2 = st.newEnv1(cenv)
		env2.vals[0] = st.lazy(env, arg)
	}
	st.enter(pos)
	v := st.lambdaBody(l).body(st, env2)
	st.depth--
	return v
}

// callFast applies a strict binary builtin with an integer fast path to
// two evaluated operands (the operands of the desugared - * / < need no
// cells then).
func (st *State) callFast(op *PrimOp, x, y Value, pos ast.Pos) Value {
	if x.kind == KInt && y.kind == KInt {
		if r, ok := intOp(op.fast, x.n, y.n); ok {
			return r
		}
	}
	return op.Fn(st, pos, []*Value{cell(x), cell(y)})
}

// callArgs applies the evaluated function fn to e's arguments, made lazy.
// Arguments go on a per-evaluator stack instead of a fresh slice: callWHNF
// and the builtins never keep the slice itself.
func (st *State) callArgs(env *Env, e *ast.Call, fn Value) Value {
	base := len(st.argStack)
	for _, a := range e.Args {
		st.argStack = append(st.argStack, st.lazy(env, a))
	}
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
	return func(st *State, env *Env) Value {
		v := from(st, env)
		if v.kind == KAttrs {
			if a := v.p.(*Bindings).Get(name); a != nil {
				cur := a.Val
				if cur.kind >= KThunk {
					fpos := e.Pos
					if a.Pos != nil && a.Pos.IsValid() {
						fpos = *a.Pos
					}
					st.selectTrace(env, e, a.Pos, func() { st.force(cur, fpos) })
				}
				return *cur
			}
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
	return func(st *State, env *Env) Value {
		env2 := newEnv(env, len(defs))
		for i := range defs {
			a := &defs[i]
			if a.Inherited {
				env2.vals[i] = st.lazy(env, a.Value)
			} else {
				env2.vals[i] = st.lazy(env2, a.Value)
			}
		}
		return body(st, env2)
	}
}
