package eval

import (
	"gonix/internal/lang/ast"
)

// eqValues is Nix's EvalState::eqValues (spec §3.7). Both values are
// forced; nested cells that are the same pointer are equal.
func (st *State) eqValues(a, b *Value, pos ast.Pos) bool {
	st.force(a, pos)
	st.force(b, pos)
	if a == b {
		return true
	}
	return st.eqForced(a, b, pos)
}

// eqForced compares two values already in weak head normal form; it does
// not keep a or b, so callers may pass the address of a local copy.
func (st *State) eqForced(a, b *Value, pos ast.Pos) bool {
	if a.kind == KInt && b.kind == KFloat {
		return float64(a.n) == b.Float()
	}
	if a.kind == KFloat && b.kind == KInt {
		return a.Float() == float64(b.n)
	}
	if a.kind != b.kind {
		// primop and primop-app are both "lambda" type but never equal
		return false
	}
	switch a.kind {
	case KInt, KBool:
		return a.n == b.n
	case KFloat:
		return a.Float() == b.Float()
	case KNull:
		return true
	case KString, KPath:
		return a.StrS() == b.StrS()
	case KList:
		x, y := a.Elems(), b.Elems()
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !st.eqValues(x[i], y[i], pos) {
				return false
			}
		}
		return true
	case KAttrs:
		if st.isDerivation(a) && st.isDerivation(b) {
			i, j := a.Attrs().Get(st.sOutPath), b.Attrs().Get(st.sOutPath)
			if i != nil && j != nil {
				return st.eqValues(i.Val, j.Val, pos)
			}
		}
		x, y := a.Attrs().Attrs, b.Attrs().Attrs
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i].Name != y[i].Name || !st.eqValues(x[i].Val, y[i].Val, pos) {
				return false
			}
		}
		return true
	}
	// functions, thunks (cannot happen after force)
	return false
}

// isDerivation reports whether v is a set whose type is "derivation".
func (st *State) isDerivation(v *Value) bool {
	if v.kind != KAttrs {
		return false
	}
	t := v.Attrs().Get(st.sType)
	if t == nil {
		return false
	}
	st.force(t.Val, ast.Pos{})
	return t.Val.kind == KString && t.Val.StrS() == "derivation"
}

// lessThan is builtins.lessThan / the < operator (spec §3.8).
func (st *State) lessThan(a, b *Value, pos ast.Pos) bool {
	st.force(a, pos)
	st.force(b, pos)
	switch {
	case a.kind == KInt && b.kind == KInt:
		return a.n < b.n
	case a.kind == KInt && b.kind == KFloat:
		return float64(a.n) < b.Float()
	case a.kind == KFloat && b.kind == KInt:
		return a.Float() < float64(b.n)
	case a.kind == KFloat && b.kind == KFloat:
		return a.Float() < b.Float()
	case a.kind == KString && b.kind == KString, a.kind == KPath && b.kind == KPath:
		return a.StrS() < b.StrS()
	case a.kind == KList && b.kind == KList:
		x, y := a.Elems(), b.Elems()
		for i := 0; ; i++ {
			if i == len(y) {
				return false
			}
			if i == len(x) {
				return true
			}
			if !st.eqValues(x[i], y[i], pos) {
				return st.lessThan(x[i], y[i], pos)
			}
		}
	}
	st.fail(ast.Pos{}, "cannot compare %s with %s", showType(a), showType(b))
	return false
}
