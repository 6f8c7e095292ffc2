package eval

import (
	"gonix/internal/lang/ast"
)

// Helpers used by the builtins: force a value and check its type, with
// Nix's "value is X while a Y was expected" errors at pos.

func (st *State) typeError(v *Value, want string, pos ast.Pos) {
	st.fail(pos, "value is %s while %s was expected", showType(v), want)
}

func (st *State) forceInt(v *Value, pos ast.Pos) int64 {
	st.force(v, pos)
	if v.kind != KInt {
		st.typeError(v, "an integer", pos)
	}
	return v.n
}

func (st *State) forceFloat(v *Value, pos ast.Pos) float64 {
	st.force(v, pos)
	switch v.kind {
	case KInt:
		return float64(v.n)
	case KFloat:
		return v.Float()
	}
	st.typeError(v, "a float", pos)
	return 0
}

func (st *State) forceBool(v *Value, pos ast.Pos) bool {
	st.force(v, pos)
	if v.kind != KBool {
		st.typeError(v, "a Boolean", pos)
	}
	return v.n != 0
}

func (st *State) forceAttrs(v *Value, pos ast.Pos) Bindings {
	st.force(v, pos)
	if v.kind != KAttrs {
		st.typeError(v, "a set", pos)
	}
	return v.Attrs()
}

func (st *State) forceList(v *Value, pos ast.Pos) []*Value {
	st.force(v, pos)
	if v.kind != KList {
		st.typeError(v, "a list", pos)
	}
	return v.Elems()
}

// forceFunction accepts lambdas, primops and sets with __functor.
func (st *State) forceFunction(v *Value, pos ast.Pos) {
	st.force(v, pos)
	if v.isFunction() {
		return
	}
	if v.kind == KAttrs && v.Attrs().Get(st.sFunctor) != nil {
		return
	}
	st.typeError(v, "a function", pos)
}

// forceString forces a string value (no coercion) and returns it.
func (st *State) forceString(v *Value, pos ast.Pos) *Str {
	st.force(v, pos)
	if v.kind != KString {
		st.typeError(v, "a string", pos)
	}
	return v.Str()
}

// forceStringNoCtx is forceString that refuses strings with context.
func (st *State) forceStringNoCtx(v *Value, pos ast.Pos) string {
	s := st.forceString(v, pos)
	if len(s.Ctx) > 0 {
		st.fail(pos, "the string '%s' is not allowed to refer to a store path (such as '%s')", s.S, ctxPathOf(s.Ctx[0]))
	}
	return s.S
}

// ctxPathOf strips the "=" / "!out!" decoration of a context element.
func ctxPathOf(c string) string {
	if len(c) > 0 && c[0] == '=' {
		return c[1:]
	}
	if len(c) > 0 && c[0] == '!' {
		for i := 1; i < len(c); i++ {
			if c[i] == '!' {
				return c[i+1:]
			}
		}
	}
	return c
}

// deepForce forces v and everything reachable from it (spec §3.17).
func (st *State) deepForce(v *Value, pos ast.Pos) {
	seen := make(map[*Value]struct{})
	st.deepForceRec(v, pos, seen)
}

func (st *State) deepForceRec(v *Value, pos ast.Pos, seen map[*Value]struct{}) {
	if _, ok := seen[v]; ok {
		return
	}
	seen[v] = struct{}{}
	st.force(v, pos)
	switch v.kind {
	case KAttrs:
		st.deepForceAttrs(v.Attrs(), pos, seen)
	case KList:
		for _, e := range v.Elems() {
			st.deepForceRec(e, pos, seen)
		}
	}
}

func (st *State) deepForceAttrs(b Bindings, pos ast.Pos, seen map[*Value]struct{}) {
	i := 0
	mark := len(st.traces)
	defer func() {
		if r := recover(); r != nil {
			if err, ok := r.(*Error); ok && i < len(b.Attrs) {
				st.collectTraces(err, mark)
				a := b.Attrs[i]
				p := st.attrPosOr(&a, ast.Pos{})
				err.Trace = append(err.Trace, TraceEntry{Pos: p, Msg: "while evaluating the attribute '" + st.syms.Name(a.Name) + "'"})
			}
			panic(r)
		}
	}()
	for ; i < len(b.Attrs); i++ {
		st.deepForceRec(b.Attrs[i].Val, pos, seen)
	}
}

// DeepForce is the exported form used by the CLI's --strict.
func (st *State) DeepForce(v *Value) error {
	return st.protect(func() { st.deepForce(v, ast.Pos{}) })
}

// mkAttrs builds a set from unsorted attributes.
func mkAttrs(attrs []Attr) Value {
	sortAttrs(attrs)
	return AttrsValue(Bindings{Attrs: attrs})
}

// attrsBuilder collects attributes by name.
func (st *State) attr(name string, v Value) Attr {
	c := new(Value)
	*c = v
	return Attr{Name: st.syms.Intern(name), Val: c}
}

func cell(v Value) *Value {
	c := new(Value)
	*c = v
	return c
}
