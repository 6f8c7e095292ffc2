package ast

import (
	"cmp"
	"slices"
)

// RemapSymbols moves an unresolved tree parsed against one symbol table
// onto another: every symbol s in it becomes m[s], and the attributes of
// sets and the formals of lambdas, which are kept sorted by symbol, are
// sorted again. A file parsed ahead on another goroutine, with a table of
// its own, is moved onto the evaluator's table this way (see package
// eval's prefetcher).
func RemapSymbols(e Expr, m []Symbol) {
	r := remapper{m: m}
	r.expr(e)
}

type remapper struct{ m []Symbol }

func (r *remapper) sym(s Symbol) Symbol {
	if s < 0 {
		return s
	}
	return r.m[s]
}

func (r *remapper) path(p []AttrName) {
	for i := range p {
		if p[i].Expr != nil {
			r.expr(p[i].Expr)
		} else {
			p[i].Sym = r.sym(p[i].Sym)
		}
	}
}

func (r *remapper) attrs(a *Attrs) {
	// `inherit (e) a b;` makes selects that share e: it is remapped once.
	var from []Expr
	for i := range a.Attrs {
		d := &a.Attrs[i]
		d.Name = r.sym(d.Name)
		if s, ok := d.Value.(*Select); ok && d.InheritFrom {
			if slices.Contains(from, s.E) {
				r.path(s.Path)
				continue
			}
			from = append(from, s.E)
		}
		r.expr(d.Value)
	}
	for _, d := range a.Dynamic {
		r.exprs(d.Name, d.Value)
	}
	slices.SortFunc(a.Attrs, func(x, y AttrDef) int { return cmp.Compare(x.Name, y.Name) })
}

func (r *remapper) exprs(es ...Expr) {
	for _, e := range es {
		r.expr(e)
	}
}

func (r *remapper) expr(e Expr) {
	switch e := e.(type) {
	case nil, *Int, *Float, *String, *Path, *CurPos:
	case *Var:
		e.Name = r.sym(e.Name)
	case *Select:
		r.exprs(e.E, e.Default)
		r.path(e.Path)
	case *HasAttr:
		r.expr(e.E)
		r.path(e.Path)
	case *Attrs:
		r.attrs(e)
	case *List:
		r.exprs(e.Elems...)
	case *Lambda:
		e.Arg = r.sym(e.Arg)
		e.Name = r.sym(e.Name)
		for i := range e.Formals {
			f := &e.Formals[i]
			f.Name = r.sym(f.Name)
			r.expr(f.Default)
		}
		slices.SortFunc(e.Formals, func(x, y Formal) int { return cmp.Compare(x.Name, y.Name) })
		r.expr(e.Body)
	case *Call:
		r.expr(e.Fn)
		r.exprs(e.Args...)
	case *Let:
		r.attrs(e.Attrs)
		r.expr(e.Body)
	case *With:
		r.exprs(e.Attrs, e.Body)
	case *If:
		r.exprs(e.Cond, e.Then, e.Else)
	case *Assert:
		r.exprs(e.Cond, e.Body)
	case *Not:
		r.expr(e.E)
	case *BinOp:
		r.exprs(e.A, e.B)
	case *ConcatStrings:
		r.exprs(e.Parts...)
	default:
		panic("ast.RemapSymbols: unknown node type")
	}
}
