package resolve

import (
	"gonix/internal/lang/ast"
)

// Scope is one static frame: the names it binds, in slot order. IsWith
// marks a `with` frame (one slot, no names).
type Scope struct {
	Up     *Scope
	IsWith bool
	slots  map[ast.Symbol]int
	// small frames are searched linearly
	names []ast.Symbol
	// chain: the frame of a lambda chain, where a later name shadows an
	// earlier equal one
	chain bool
}

// NewScope returns a frame binding names at slots 0..n-1.
func NewScope(up *Scope, names []ast.Symbol) *Scope {
	s := &Scope{Up: up, names: names}
	if len(names) > 8 {
		s.slots = make(map[ast.Symbol]int, len(names))
		for i, n := range names {
			s.slots[n] = i
		}
	}
	return s
}

func (s *Scope) lookup(sym ast.Symbol) (int, bool) {
	if s.slots != nil {
		i, ok := s.slots[sym]
		return i, ok
	}
	if s.chain {
		for i := len(s.names) - 1; i >= 0; i-- {
			if s.names[i] == sym {
				return i, true
			}
		}
		return 0, false
	}
	for i, n := range s.names {
		if n == sym {
			return i, true
		}
	}
	return 0, false
}

// Error is an undefined variable found while resolving.
type Error struct {
	Pos  ast.Pos
	Name string
}

func (e *Error) Error() string { return "undefined variable '" + e.Name + "'" }

type resolver struct {
	syms *ast.Symbols
	err  *Error
}

// Resolve binds the variables of e in scope. It returns an *Error for the
// first free variable not covered by a `with`.
func Resolve(e ast.Expr, scope *Scope, syms *ast.Symbols) error {
	r := &resolver{syms: syms}
	r.expr(e, scope)
	if r.err != nil {
		return r.err
	}
	return nil
}

func (r *resolver) fail(pos ast.Pos, sym ast.Symbol) {
	if r.err == nil {
		r.err = &Error{Pos: pos, Name: r.syms.Name(sym)}
	}
}

func (r *resolver) attrPath(path []ast.AttrName, s *Scope) {
	for _, a := range path {
		if a.Expr != nil {
			r.expr(a.Expr, s)
		}
	}
}

func (r *resolver) expr(e ast.Expr, s *Scope) {
	if r.err != nil {
		return
	}
	switch e := e.(type) {
	case *ast.Int, *ast.Float, *ast.String, *ast.Path, *ast.CurPos:
	case *ast.Var:
		up := 0
		withUp := -1
		for f := s; f != nil; f = f.Up {
			if f.IsWith {
				if withUp < 0 {
					withUp = up
				}
			} else if slot, ok := f.lookup(e.Name); ok {
				e.FromWith, e.Up, e.Slot = false, up, slot
				e.Base = f.Up == nil
				return
			}
			up++
		}
		if withUp < 0 {
			r.fail(e.Pos, e.Name)
			return
		}
		e.FromWith, e.Up, e.Slot, e.Base = true, withUp, 0, false
	case *ast.Select:
		r.expr(e.E, s)
		r.attrPath(e.Path, s)
		if e.Default != nil {
			r.expr(e.Default, s)
		}
	case *ast.HasAttr:
		r.expr(e.E, s)
		r.attrPath(e.Path, s)
	case *ast.Attrs:
		inner := s
		if e.Rec {
			names := make([]ast.Symbol, len(e.Attrs))
			for i, a := range e.Attrs {
				names[i] = a.Name
			}
			inner = NewScope(s, names)
		}
		for _, a := range e.Attrs {
			if a.Inherited {
				r.expr(a.Value, s)
			} else {
				r.expr(a.Value, inner)
			}
		}
		for _, d := range e.Dynamic {
			r.expr(d.Name, inner)
			r.expr(d.Value, inner)
		}
	case *ast.List:
		for _, x := range e.Elems {
			r.expr(x, s)
		}
	case *ast.Lambda:
		var names []ast.Symbol
		if e.HasFormals {
			names = make([]ast.Symbol, 0, len(e.Formals)+1)
			for _, f := range e.Formals {
				names = append(names, f.Name)
			}
			if e.Arg != ast.NoSymbol {
				names = append(names, e.Arg)
			}
		} else {
			// `a: b: c: body`: one frame for the chain
			names = []ast.Symbol{e.Arg}
			e.ChainPos = 0
			chain := []*ast.Lambda{e}
			body := e.Body
			for {
				m, ok := body.(*ast.Lambda)
				if !ok || m.HasFormals {
					break
				}
				m.ChainPos = len(names)
				names = append(names, m.Arg)
				chain = append(chain, m)
				body = m.Body
			}
			for _, m := range chain {
				m.FrameSize = len(names)
			}
			inner := NewScope(s, names)
			inner.chain = true
			r.expr(body, inner)
			return
		}
		inner := NewScope(s, names)
		for _, f := range e.Formals {
			if f.Default != nil {
				r.expr(f.Default, inner)
			}
		}
		r.expr(e.Body, inner)
	case *ast.Call:
		r.expr(e.Fn, s)
		for _, a := range e.Args {
			r.expr(a, s)
		}
	case *ast.Let:
		names := make([]ast.Symbol, len(e.Attrs.Attrs))
		for i, a := range e.Attrs.Attrs {
			names[i] = a.Name
		}
		inner := NewScope(s, names)
		for _, a := range e.Attrs.Attrs {
			if a.Inherited {
				r.expr(a.Value, s)
			} else {
				r.expr(a.Value, inner)
			}
		}
		r.expr(e.Body, inner)
	case *ast.With:
		r.expr(e.Attrs, s)
		inner := &Scope{Up: s, IsWith: true}
		// distance from this with frame to the next outer with frame
		e.PrevWith = 0
		up := 1
		for f := s; f != nil; f = f.Up {
			if f.IsWith {
				e.PrevWith = up
				break
			}
			up++
		}
		r.expr(e.Body, inner)
	case *ast.If:
		r.expr(e.Cond, s)
		r.expr(e.Then, s)
		r.expr(e.Else, s)
	case *ast.Assert:
		r.expr(e.Cond, s)
		r.expr(e.Body, s)
	case *ast.Not:
		r.expr(e.E, s)
	case *ast.BinOp:
		r.expr(e.A, s)
		r.expr(e.B, s)
	case *ast.ConcatStrings:
		for _, p := range e.Parts {
			r.expr(p, s)
		}
	}
}
