package parser

import "gonix/internal/lang/ast"

// slab hands out zeroed values of T from chunks, so that the many small
// nodes of a tree cost one allocation per chunk instead of one each.
// Chunks grow from 4 to 16 values, so a small file wastes little (the
// unused rest of a parse's last chunks lives as long as the tree does:
// up to 15 nodes of each type).
type slab[T any] struct {
	free []T
	next int // length of the next chunk
}

func (s *slab[T]) new() *T {
	if len(s.free) == 0 {
		s.next = min(max(2*s.next, 4), 16)
		s.free = make([]T, s.next)
	}
	t := &s.free[0]
	s.free = s.free[1:]
	return t
}

// slicer hands out copies of short slices of T carved from chunks (a
// copy's capacity is its length, so appending to it reallocates).
type slicer[T any] struct {
	free []T
	next int // length of the next chunk
}

func (s *slicer[T]) clone(src []T) []T {
	n := len(src)
	if n > 64 {
		return append([]T(nil), src...)
	}
	if len(s.free) < n {
		s.next = min(max(2*s.next, 8), 128)
		s.free = make([]T, max(s.next, n))
	}
	out := s.free[:n:n]
	copy(out, src)
	s.free = s.free[n:]
	return out
}

// Nodes allocated with the slice they point to.
type (
	select1 struct {
		ast.Select
		path [1]ast.AttrName
	}
	call1 struct {
		ast.Call
		args [1]ast.Expr
	}
	call2 struct {
		ast.Call
		args [2]ast.Expr
	}
	concat2 struct {
		ast.ConcatStrings
		parts [2]ast.Expr
		pos   [2]ast.Pos
	}
)

// nodes holds the slabs of one parse.
type nodes struct {
	vars    slab[ast.Var]
	strs    slab[ast.String]
	ints    slab[ast.Int]
	attrs   slab[ast.Attrs]
	lambdas slab[ast.Lambda]
	selects slab[ast.Select]
	select1 slab[select1]
	call1   slab[call1]
	call2   slab[call2]
	concat2 slab[concat2]

	exprs slicer[ast.Expr]
	poss  slicer[ast.Pos]
	names slicer[ast.AttrName]
	defs  slicer[ast.AttrDef]
}

func (p *parser) newVar(pos ast.Pos, name ast.Symbol) *ast.Var {
	v := p.nodes.vars.new()
	v.Pos, v.Name = pos, name
	return v
}

func (p *parser) newString(val string) *ast.String {
	s := p.nodes.strs.new()
	s.Val = val
	return s
}

// newSelect makes E.path (or Default), copying path.
func (p *parser) newSelect(pos ast.Pos, e ast.Expr, path []ast.AttrName, def ast.Expr) *ast.Select {
	var s *ast.Select
	if len(path) == 1 {
		s1 := p.nodes.select1.new()
		s1.path[0] = path[0]
		s = &s1.Select
		s.Path = s1.path[:]
	} else {
		s = p.nodes.selects.new()
		s.Path = p.nodes.names.clone(path)
	}
	s.Pos, s.E, s.Default = pos, e, def
	return s
}

// newCall makes the call fn args..., copying args.
func (p *parser) newCall(pos ast.Pos, fn ast.Expr, args []ast.Expr) *ast.Call {
	var c *ast.Call
	switch len(args) {
	case 1:
		c1 := p.nodes.call1.new()
		c1.args[0] = args[0]
		c = &c1.Call
		c.Args = c1.args[:]
	case 2:
		c2 := p.nodes.call2.new()
		c2.args = [2]ast.Expr{args[0], args[1]}
		c = &c2.Call
		c.Args = c2.args[:]
	default:
		c = &ast.Call{Args: p.nodes.exprs.clone(args)}
	}
	c.Pos, c.Fn = pos, fn
	return c
}

// call2 makes the call fn x y.
func (p *parser) call2(pos ast.Pos, fn, x, y ast.Expr) *ast.Call {
	c2 := p.nodes.call2.new()
	c2.args = [2]ast.Expr{x, y}
	c := &c2.Call
	c.Pos, c.Fn, c.Args = pos, fn, c2.args[:]
	return c
}

// concat2 makes a + b.
func (p *parser) concat2(pos ast.Pos, a ast.Expr, bPos ast.Pos, b ast.Expr) *ast.ConcatStrings {
	c2 := p.nodes.concat2.new()
	c2.parts = [2]ast.Expr{a, b}
	c2.pos = [2]ast.Pos{pos, bPos}
	c := &c2.ConcatStrings
	c.Pos, c.Parts, c.PartPos = pos, c2.parts[:], c2.pos[:]
	return c
}

func (p *parser) newInt(v int64) *ast.Int {
	n := p.nodes.ints.new()
	n.Val = v
	return n
}

// call1 makes the call fn x.
func (p *parser) call1(pos ast.Pos, fn, x ast.Expr) *ast.Call {
	c1 := p.nodes.call1.new()
	c1.args[0] = x
	c := &c1.Call
	c.Pos, c.Fn, c.Args = pos, fn, c1.args[:]
	return c
}
