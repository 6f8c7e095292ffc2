package eval

import "gonix/internal/lang/ast"

// Most code of a configuration runs once: of the 46,500 nodes issue 7's
// configuration compiled, 43,300 ran exactly once, and compiling them was
// an eighth of the run. So the first time a thunk is forced, its
// expression is interpreted (interp) rather than compiled; forcing a
// thunk of the same expression again compiles it (forceThunk).
//
// interp computes what the compiled code computes, through the general
// paths the compiled fast paths are equivalent to (callWHNF for calls,
// State.lazy for arguments and bindings). Only thunks are interpreted:
// a thunk's frame is one a thunk keeps, never one a lambda call gives
// back to a free list (see lambdaCode.reuse), so interpreting, which
// makes thunks where compiled code may not, cannot keep a frame that
// will be reused.

// interp evaluates e in env. It does not look for compiled code of e:
// the parts of a thunk's expression it reaches are reached only through
// it, so they are compiled only when it is.
func (st *State) interp(env *Env, e ast.Expr) Value {
	switch e := e.(type) {
	case *ast.Int:
		return Value{kind: KInt, n: e.Val}
	case *ast.Float:
		return FloatValue(e.Val)
	case *ast.String, *ast.Path:
		return *constCell(e)
	case *ast.Var:
		v := st.lookupVar(env, e)
		if v.kind >= KThunk {
			st.force(v, e.Pos)
		}
		return *v
	case *ast.Lambda:
		return lambdaValue(e, env)
	case *ast.Call:
		fn := st.interp(env, e.Fn)
		base := len(st.argStack)
		for _, a := range e.Args {
			st.argStack = append(st.argStack, st.lazy(env, a))
		}
		args := st.argStack[base:len(st.argStack):len(st.argStack)]
		v := st.callWHNF(fn, args, e.Pos)
		clear(args)
		st.argStack = st.argStack[:base]
		return v
	case *ast.If:
		c := st.interp(env, e.Cond)
		if c.kind != KBool {
			st.typeError(cell(c), "a Boolean", e.Cond.Position())
		}
		if c.n != 0 {
			return st.interp(env, e.Then)
		}
		return st.interp(env, e.Else)
	case *ast.Let:
		defs := e.Attrs.Attrs
		env2 := newEnv(env, len(defs))
		for i := range defs {
			ev := env2
			if defs[i].Inherited {
				ev = env
			}
			env2.set(i, st.lazy(ev, defs[i].Value))
		}
		return st.interp(env2, e.Body)
	case *ast.Select:
		return st.evalSelectFrom(env, e, st.interp(env, e.E))
	case *ast.Not:
		x := st.interp(env, e.E)
		if x.kind != KBool {
			st.typeError(cell(x), "a Boolean", e.Pos)
		}
		return BoolValue(x.n == 0)
	case *ast.BinOp:
		switch e.Op {
		case ast.OpAnd, ast.OpOr, ast.OpImpl:
			// b only when a does not decide
			x := st.interp(env, e.A)
			if x.kind != KBool {
				st.typeError(cell(x), "a Boolean", e.Pos)
			}
			if (x.n != 0) == (e.Op == ast.OpOr) {
				return BoolValue(e.Op != ast.OpAnd)
			}
			y := st.interp(env, e.B)
			if y.kind != KBool {
				st.typeError(cell(y), "a Boolean", e.Pos)
			}
			return y
		case ast.OpUpdate:
			x := st.interp(env, e.A)
			st.needSet(&x)
			y := st.interp(env, e.B)
			st.needSet(&y)
			return updateAttrs(x, y)
		case ast.OpEq, ast.OpNEq:
			x := st.interp(env, e.A)
			y := st.interp(env, e.B)
			return BoolValue(st.eqForced(&x, &y, e.Pos) == (e.Op == ast.OpEq))
		}
	}
	return st.evalNode(env, e)
}
