package eval

import (
	"strings"
	"unsafe"

	"gonix/internal/lang/ast"
)

type stringsBuilder = strings.Builder

// lambdaName renders a lambda as Nix does in messages: 'name' at POS or
// anonymous function at POS.
func (st *State) lambdaName(l *ast.Lambda) string {
	if lambdaNamed(l) {
		return "'" + st.syms.Name(l.Name) + "' at " + l.Pos.String()
	}
	return "anonymous function at " + l.Pos.String()
}

// callFunction applies fn to args (Nix's EvalState::callFunction).
func (st *State) callFunction(fn *Value, args []*Value, pos ast.Pos) Value {
	if fn.kind >= KThunk {
		st.force(fn, pos)
	}
	if fn.kind == KLambda {
		// the calls builtins make most (map, genList, foldl', sort, …):
		// `x: …` with one argument and `a: b: …` with two, straight
		// into the lambda's frame
		l := (*ast.Lambda)(fn.p)
		switch {
		case len(args) == 1 && l.FrameSize == 1:
			if lc := st.lambdaBody(l); lc.reuse && !st.showTrace {
				env2 := st.takeFrame(&st.frames1, fn.env, 1)
				env2.set(0, args[0])
				st.enter(pos)
				v := lc.body(st, env2)
				st.depth--
				st.dropFrame(&st.frames1, env2, 1)
				return v
			}
			env2 := st.newEnv1(fn.env)
			env2.set(0, args[0])
			return st.evalLambdaBody(l, env2, pos)
		case len(args) == 2 && l.FrameSize == 2 && l.ChainPos == 0:
			inner := l.Body.(*ast.Lambda)
			if lc := st.lambdaBody(inner); lc.reuse && !st.showTrace {
				env2 := st.takeFrame(&st.frames2, fn.env, 2)
				env2.set(0, args[0])
				env2.set(1, args[1])
				st.enter(pos)
				v := lc.body(st, env2)
				st.depth--
				st.dropFrame(&st.frames2, env2, 2)
				return v
			}
			env2 := newEnv(fn.env, 2)
			env2.set(0, args[0])
			env2.set(1, args[1])
			return st.evalLambdaBody(inner, env2, pos)
		}
	}
	return st.callWHNF(*fn, args, pos)
}

// callWHNF applies an already evaluated function value. Taking the value
// (not a pointer) keeps the caller's copy on its stack.
func (st *State) callWHNF(cur Value, args []*Value, pos ast.Pos) Value {
	for len(args) > 0 {
		switch cur.kind {
		case KLambda:
			l := (*ast.Lambda)(cur.p)
			if len(args) > 1 && l.ChainPos+1 < l.FrameSize {
				// `a: b: …` applied to two or more arguments: the
				// arguments go straight into the chain's frame; the
				// inner lambdas' closures are never made.
				env2 := st.chainFrame(l, cur.env)
				j := l.ChainPos
				env2.set(j, args[0])
				args = args[1:]
				for len(args) > 0 && j+1 < l.FrameSize {
					l = l.Body.(*ast.Lambda)
					j++
					env2.set(j, args[0])
					args = args[1:]
				}
				if j+1 < l.FrameSize {
					return lambdaValue(l.Body.(*ast.Lambda), env2)
				}
				if l.FrameSize == 2 && !st.showTrace {
					if lc := st.lambdaBody(l); lc.reuse {
						// env2 was never seen by anything else: give it
						// to the free list when the body is done
						st.enter(pos)
						cur = lc.body(st, env2)
						st.depth--
						st.dropFrame(&st.frames2, env2, 2)
						continue
					}
				}
				cur = st.evalLambdaBody(l, env2, pos)
				continue
			}
			cur = st.callLambda(l, cur.env, args[0], pos)
			args = args[1:]
		case KPrimOp:
			op := (*PrimOp)(cur.p)
			if len(args) < op.Arity {
				return primOpAppValue(&PrimOpApp{Op: op, Args: append([]*Value(nil), args...)})
			}
			cur = op.Fn(st, pos, args[:op.Arity])
			args = args[op.Arity:]
		case KPrimOpApp:
			app := (*PrimOpApp)(cur.p)
			left := app.Op.Arity - len(app.Args)
			if len(args) < left {
				all := make([]*Value, 0, len(app.Args)+len(args))
				all = append(append(all, app.Args...), args...)
				return primOpAppValue(&PrimOpApp{Op: app.Op, Args: all})
			}
			all := make([]*Value, 0, app.Op.Arity)
			all = append(append(all, app.Args...), args[:left]...)
			cur = app.Op.Fn(st, pos, all)
			args = args[left:]
		case KAttrs:
			f := cur.Attrs().Get(st.sFunctor)
			if f == nil {
				st.fail(pos, "attempt to call something which is not a function but %s", showType(&cur))
			}
			self := new(Value)
			*self = cur
			cur = st.callFunction(f.Val, []*Value{self, args[0]}, pos)
			args = args[1:]
		default:
			st.fail(pos, "attempt to call something which is not a function but %s", showType(&cur))
		}
	}
	return cur
}

// callValue calls f with one argument (used by builtins).
func (st *State) callValue(f *Value, arg *Value, pos ast.Pos) Value {
	return st.callFunction(f, []*Value{arg}, pos)
}

func (st *State) callLambda(l *ast.Lambda, cenv *Env, arg *Value, pos ast.Pos) Value {
	var env2 *Env
	if !l.HasFormals {
		env2 = st.chainFrame(l, cenv)
		env2.set(l.ChainPos, arg)
	} else {
		st.force(arg, pos)
		if arg.kind != KAttrs {
			st.fail(pos, "value is %s while a set was expected", showType(arg))
		}
		n := len(l.Formals)
		size := n
		if l.Arg != ast.NoSymbol {
			size++
		}
		env2 = newEnv(cenv, size)
		if l.Arg != ast.NoSymbol {
			env2.set(n, arg)
		}
		b := arg.Attrs()
		used := 0
		for i := range l.Formals {
			f := &l.Formals[i]
			if a := b.Get(f.Name); a != nil {
				used++
				env2.set(i, a.Val)
			} else if f.Default != nil {
				env2.set(i, st.lazy(env2, f.Default))
			} else {
				st.fail(pos, "%s called without required argument '%s'", st.lambdaName(l), st.syms.Name(f.Name))
			}
		}
		if !l.Ellipsis && used != len(b.Attrs) {
			for _, a := range b.Attrs {
				if l.FormalIndex(a.Name) < 0 {
					names := make([]string, len(l.Formals))
					for i, f := range l.Formals {
						names[i] = st.syms.Name(f.Name)
					}
					throwErr(&Error{Msg: st.lambdaName(l) + " called with unexpected argument '" + st.syms.Name(a.Name) + "'",
						Pos: pos, Suggestions: suggestions(st.syms.Name(a.Name), names)})
				}
			}
		}
	}
	return st.evalLambdaBody(l, env2, pos)
}

// evalLambdaBody evaluates the body of l, called at pos, in its new
// frame env2.
func (st *State) evalLambdaBody(l *ast.Lambda, env2 *Env, pos ast.Pos) Value {
	if st.showTrace {
		return st.evalBodyTraced(l, env2, pos)
	}
	st.enter(pos)
	v := st.lambdaBody(l).body(st, env2)
	st.depth--
	return v
}

// lambdaCode is what the evaluator keeps of a lambda's body
// (ast.Lambda.BodyCode).
type lambdaCode struct {
	body code
	// reuse: evaluating the body never keeps a reference to its frame
	// (see noCapture), so a frame can be taken from a free list and
	// given back when the body has returned normally (never when it
	// panics: an error being raised may still show the frame).
	reuse bool
	// keeps0, for a reusable body, says that the body may keep the
	// cell in slot 0 of its frame itself, not just its value (see
	// keepsCell); when false a builtin may pass the same cell, written
	// again, to every call (foldl's accumulator).
	keeps0 bool
}

// lambdaBody returns the compiled body of l (inlined; compiled by
// compileBody on first use).
func (st *State) lambdaBody(l *ast.Lambda) *lambdaCode {
	if c := (*lambdaCode)(l.BodyCode); c != nil {
		return c
	}
	return st.compileBody(l)
}

func (st *State) compileBody(l *ast.Lambda) *lambdaCode {
	c := &lambdaCode{body: compile(l.Body), reuse: st.noCapture(l.Body)}
	if c.reuse {
		c.keeps0 = st.keepsCell(l.Body, 0)
	}
	l.BodyCode = unsafe.Pointer(c)
	return c
}

// takeFrame returns a frame of n slots (1 or 2) under up from the free
// list, or a new one.
func (st *State) takeFrame(free *[]*Env, up *Env, n int) *Env {
	if k := len(*free); k > 0 {
		e := (*free)[k-1]
		*free = (*free)[:k-1]
		e.up = up
		return e
	}
	return newEnv(up, n)
}

// reusable2 returns the body code of fn, a forced function value, when
// fn is `a: b: …` taking two arguments into one frame that its body
// never keeps (see lambdaCode.reuse); nil otherwise.
func (st *State) reusable2(fn *Value) *lambdaCode {
	if fn.kind != KLambda || st.showTrace {
		return nil
	}
	l := (*ast.Lambda)(fn.p)
	if l.FrameSize != 2 || l.ChainPos != 0 {
		return nil
	}
	if lc := st.lambdaBody(l.Body.(*ast.Lambda)); lc.reuse {
		return lc
	}
	return nil
}

// dropFrame clears e and puts it on the free list (kept short).
func (st *State) dropFrame(free *[]*Env, e *Env, n int) {
	// (slot by slot: clear() of a pointer slice takes the bulk write
	// barrier path while the collector runs)
	for i := range n {
		e.set(i, nil)
	}
	e.up = nil
	if len(*free) < 64 {
		*free = append(*free, e)
	}
}

// noCapture reports whether evaluating e in a frame can never keep a
// reference to that frame: e makes no closure, thunk or frame over it.
// Conservative: only variables, literals and strict operations on them,
// and calls whose arguments are literals or lexical variables (so that
// no argument needs a thunk, whatever the function turns out to be).
func (st *State) noCapture(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Int, *ast.Float, *ast.String, *ast.Path, *ast.Var:
		return true
	case *ast.If:
		return st.noCapture(e.Cond) && st.noCapture(e.Then) && st.noCapture(e.Else)
	case *ast.Assert:
		return st.noCapture(e.Cond) && st.noCapture(e.Body)
	case *ast.Not:
		return st.noCapture(e.E)
	case *ast.BinOp:
		return st.noCapture(e.A) && st.noCapture(e.B)
	case *ast.ConcatStrings:
		for _, p := range e.Parts {
			if !st.noCapture(p) {
				return false
			}
		}
		return true
	case *ast.Select:
		if e.Default != nil && !st.noCapture(e.Default) {
			return false
		}
		return st.noCapture(e.E) && st.pathNoCapture(e.Path)
	case *ast.HasAttr:
		return st.noCapture(e.E) && st.pathNoCapture(e.Path)
	case *ast.Call:
		if !st.noCapture(e.Fn) {
			return false
		}
		if st.fastBuiltin(e) {
			// compileVarCall evaluates both operands strictly
			return st.noCapture(e.Args[0]) && st.noCapture(e.Args[1])
		}
		if len(e.Args) == 1 && !lazySafe(e.Args[0]) && compileSpec(e.Args[0]) != nil {
			// `f (n - 1)`: computed before the call, or else made a
			// thunk over a copy of the frame (see specSlots)
			return true
		}
		for _, a := range e.Args {
			if !lazySafe(a) {
				return false
			}
		}
		return true
	}
	return false
}

// keepsCell reports whether evaluating e, a body for which noCapture
// holds, may keep a reference to the cell in slot of its own frame:
// only an argument of a call (which is passed as the cell, not its
// value) can. Everything else noCapture allows reads the value.
func (st *State) keepsCell(e ast.Expr, slot int) bool {
	switch e := e.(type) {
	case *ast.Int, *ast.Float, *ast.String, *ast.Path, *ast.Var:
		return false
	case *ast.If:
		return st.keepsCell(e.Cond, slot) || st.keepsCell(e.Then, slot) || st.keepsCell(e.Else, slot)
	case *ast.Assert:
		return st.keepsCell(e.Cond, slot) || st.keepsCell(e.Body, slot)
	case *ast.Not:
		return st.keepsCell(e.E, slot)
	case *ast.BinOp:
		return st.keepsCell(e.A, slot) || st.keepsCell(e.B, slot)
	case *ast.ConcatStrings:
		for _, p := range e.Parts {
			if st.keepsCell(p, slot) {
				return true
			}
		}
		return false
	case *ast.Select:
		if e.Default != nil && st.keepsCell(e.Default, slot) {
			return true
		}
		return st.keepsCell(e.E, slot) || st.pathKeepsCell(e.Path, slot)
	case *ast.HasAttr:
		return st.keepsCell(e.E, slot) || st.pathKeepsCell(e.Path, slot)
	case *ast.Call:
		if st.keepsCell(e.Fn, slot) {
			return true
		}
		strict := st.fastBuiltin(e)
		for _, a := range e.Args {
			if v, ok := a.(*ast.Var); ok && !strict && !v.FromWith && v.Up == 0 && v.Slot == slot {
				return true
			}
			if st.keepsCell(a, slot) {
				return true
			}
		}
		return false
	}
	return true
}

func (st *State) pathKeepsCell(path []ast.AttrName, slot int) bool {
	for _, a := range path {
		if a.Expr != nil && st.keepsCell(a.Expr, slot) {
			return true
		}
	}
	return false
}

func (st *State) pathNoCapture(path []ast.AttrName) bool {
	for _, a := range path {
		if a.Expr != nil && !st.noCapture(a.Expr) {
			return false
		}
	}
	return true
}

// fastBuiltin reports whether e calls, with two arguments, a builtin
// with an integer fast path named by a variable of the base frame (which
// nothing can rebind): compileVarCall then evaluates the operands
// strictly, never making thunks of them.
//
// `builtins.NAME` counts too: the builtins set of the base frame never
// changes, and compileCall evaluates the operands of a call of a fast
// builtin strictly whatever the function expression is.
func (st *State) fastBuiltin(e *ast.Call) bool {
	if len(e.Args) != 2 {
		return false
	}
	var f *Value
	switch fn := e.Fn.(type) {
	case *ast.Var:
		if !fn.Base || fn.FromWith || fn.Slot >= len(st.baseVals) {
			return false
		}
		f = st.baseEnv.at(fn.Slot)
	case *ast.Select:
		v, ok := fn.E.(*ast.Var)
		if !ok || !v.Base || v.FromWith || fn.Default != nil || len(fn.Path) != 1 ||
			fn.Path[0].Expr != nil || v.Slot >= len(st.baseVals) {
			return false
		}
		if b := st.baseEnv.at(v.Slot); b.kind == KAttrs {
			if a := b.Attrs().Get(fn.Path[0].Sym); a != nil {
				f = a.Val
			}
		}
	}
	return f != nil && f.kind == KPrimOp && (*PrimOp)(f.p).fast != fastNone
}

// lazySafe reports whether st.lazy of e never makes a thunk.
func lazySafe(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Int, *ast.Float, *ast.String, *ast.Path:
		return true
	case *ast.Var:
		return !e.FromWith
	}
	return false
}

// chainFrame makes the frame for a call of the simple-argument lambda l
// closed over cenv, with the slot of l's argument (ChainPos) left to
// fill: a lambda inside a chain `a: b: …` copies the earlier arguments
// from the chain frame it closed over (see ast.Lambda).
func (st *State) chainFrame(l *ast.Lambda, cenv *Env) *Env {
	if l.FrameSize <= 1 {
		return st.newEnv1(cenv)
	}
	if l.ChainPos == 0 {
		if l.FrameSize == 2 {
			return st.takeFrame(&st.frames2, cenv, 2)
		}
		return newEnv(cenv, l.FrameSize)
	}
	env2 := newEnv(cenv.up, l.FrameSize)
	copy(env2.slots(l.ChainPos), cenv.slots(l.ChainPos))
	return env2
}

// evalBodyTraced evaluates a lambda's body adding --show-trace's "while
// evaluating 'f'" and "from call site" lines on error (kept out of
// callLambda so that the common path has no defer).
func (st *State) evalBodyTraced(l *ast.Lambda, env2 *Env, pos ast.Pos) Value {
	mark := len(st.traces)
	defer func() {
		if r := recover(); r != nil {
			if err, ok := r.(*Error); ok {
				st.collectTraces(err, mark)
				what := "anonymous lambda"
				if lambdaNamed(l) {
					what = "'" + st.syms.Name(l.Name) + "'"
				}
				err.Trace = append(err.Trace, TraceEntry{Pos: l.Pos, Msg: "while evaluating " + what},
					TraceEntry{Pos: pos, Msg: "from call site"})
			}
			panic(r)
		}
	}()
	st.enter(pos)
	v := st.eval(env2, l.Body)
	st.depth--
	return v
}

// lambdaNamed reports whether l was given a name by its binding. Symbol 0
// is the evaluator's internal "<with>", never a user name, so a zero Name
// (an unset field) also means anonymous.
func lambdaNamed(l *ast.Lambda) bool { return l.Name > 0 }
