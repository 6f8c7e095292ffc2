package parser

import (
	"cmp"
	"slices"

	"gonix/internal/lang/ast"
)

// pushAttrPath parses attrpath: attr ('.' attr)* onto p.names and
// returns where it starts there. Nested parses use p.names above it and
// leave it as they found it.
func (p *parser) pushAttrPath() int {
	base := len(p.names)
	for {
		a, ok := p.parseAttrName()
		if !ok {
			return base
		}
		p.names = append(p.names, a)
		if p.peekKind() != tDOT || p.err != nil {
			break
		}
		p.advance()
	}
	return base
}

// popNames drops p.names[base:].
func (p *parser) popNames(base int) {
	p.names = p.names[:base]
}

// parseAttrPath parses attrpath into a slice of its own.
func (p *parser) parseAttrPath() []ast.AttrName {
	base := p.pushAttrPath()
	var path []ast.AttrName
	if p.err == nil {
		path = p.nodes.names.clone(p.names[base:])
	}
	p.popNames(base)
	return path
}

// parseAttrName parses one attrpath component: ID, `or`, a string or
// `${e}`. A string without interpolation (also `${"s"}`) is static.
func (p *parser) parseAttrName() (ast.AttrName, bool) {
	if c := p.cur(); c.kind == tID && p.err == nil {
		text := c.text
		p.advance()
		return ast.AttrName{Sym: p.intern(text)}, true
	}
	t := p.peek()
	if p.err != nil {
		return ast.AttrName{}, false
	}
	switch t.kind {
	case tID:
		p.advance()
		return ast.AttrName{Sym: p.intern(t.text)}, true
	case tORKW:
		p.advance()
		return ast.AttrName{Sym: p.intern("or")}, true
	case tQUOTE, tDOLLARCURLY:
		e := p.parseStringAttr()
		if e == nil {
			return ast.AttrName{}, false
		}
		if s, ok := e.(*ast.String); ok {
			return ast.AttrName{Sym: p.intern(s.Val)}, true
		}
		return ast.AttrName{Sym: ast.NoSymbol, Expr: e}, true
	}
	p.syntaxError(t, tID, tORKW, tDOLLARCURLY, tQUOTE)
	return ast.AttrName{}, false
}

// parseStringAttr parses string_attr: '"' string_parts '"' or
// DOLLAR_CURLY expr '}'.
func (p *parser) parseStringAttr() ast.Expr {
	t := p.next()
	if !p.enter(1) {
		return nil
	}
	defer p.leave(1)
	if t.kind == tQUOTE {
		return p.parseString()
	}
	e := p.parseExpr()
	p.enter(1)
	defer p.leave(1)
	if !p.expect(tRBRACE, tRBRACE) {
		return nil
	}
	return e
}

// parseBinds parses bindings into attrs until a token that cannot start
// one. open is the token before the bindings, moved to its end: the
// location of Bison's empty `binds`, which inherited attributes take.
//
// While it runs, attrs is the open set: its attributes are kept on
// p.defs (see attrsOf) and get a slice of their own, of the right size,
// when it ends.
func (p *parser) parseBinds(attrs *ast.Attrs, open token) {
	outer, outerBase := p.open, p.openBase
	p.open, p.openBase = attrs, len(p.defs)
	p.parseBindsOpen(attrs, open)
	if defs := p.defs[p.openBase:]; len(defs) > 0 {
		attrs.Attrs = p.nodes.defs.clone(defs)
	}
	p.defs = p.defs[:p.openBase]
	p.open, p.openBase = outer, outerBase
}

func (p *parser) parseBindsOpen(attrs *ast.Attrs, open token) {
	bindsPos := p.pos(open)
	for p.err == nil {
		t := p.peek()
		switch t.kind {
		case tID, tORKW, tQUOTE, tDOLLARCURLY:
			pos := p.pos(t)
			base := p.pushAttrPath()
			if p.err != nil {
				return
			}
			if !p.expect(tASSIGN, tDOT, tASSIGN) {
				return
			}
			if !p.enter(2) { // attrpath '='
				return
			}
			v := p.parseExpr()
			p.enter(1)
			if !p.expect(tSEMI, tSEMI) {
				return
			}
			p.leave(3)
			p.addAttr(attrs, p.names[base:], v, pos)
			p.popNames(base)
		case tINHERIT:
			p.parseInherit(attrs, bindsPos)
		default:
			return
		}
	}
}

func (p *parser) parseInherit(attrs *ast.Attrs, bindsPos ast.Pos) {
	kw := p.next()
	namesAt := tokenEnd(kw, 7)
	var from ast.Expr
	if p.peekKind() == tLPAREN {
		p.advance()
		if !p.enter(2) {
			return
		}
		from = p.parseExpr()
		p.leave(2)
		rp, ok := p.expectTok(tRPAREN, tRPAREN)
		if !ok {
			return
		}
		namesAt = tokenEnd(rp, 1)
	}
	var names []ast.Symbol
	for p.err == nil {
		t := p.peek()
		switch t.kind {
		case tID:
			p.advance()
			names = append(names, p.intern(t.text))
			continue
		case tORKW:
			p.advance()
			names = append(names, p.intern("or"))
			continue
		case tQUOTE, tDOLLARCURLY:
			e := p.parseStringAttr()
			if p.err != nil {
				return
			}
			s, ok := e.(*ast.String)
			if !ok {
				p.setErr(p.pos(t), "dynamic attributes not allowed in inherit")
				return
			}
			names = append(names, p.intern(s.Val))
			continue
		}
		break
	}
	if p.err != nil {
		return
	}
	if t := p.peek(); t.kind != tSEMI {
		p.syntaxError(t) // five tokens would do
		return
	}
	p.advance()
	pos := p.pos(namesAt)
	for _, name := range names {
		if i := p.findAttr(attrs, name); i >= 0 {
			p.dupAttr(name, pos, p.attrsOf(attrs)[i].Pos)
			return
		}
		if from == nil {
			p.insertAttr(attrs, ast.AttrDef{Name: name, Value: p.newVar(bindsPos, name), Pos: pos, Inherited: true})
		} else {
			sel := p.newSelect(bindsPos, from, []ast.AttrName{{Sym: name}}, nil)
			p.insertAttr(attrs, ast.AttrDef{Name: name, Value: sel, Pos: pos, InheritFrom: true})
		}
	}
}

// Sets being built keep their attributes unsorted (Parse sorts them at
// the end); big ones get an index.
const indexFrom = 16

// attrsOf returns the attributes of a: on p.defs for the open set.
func (p *parser) attrsOf(a *ast.Attrs) []ast.AttrDef {
	if a == p.open {
		return p.defs[p.openBase:]
	}
	return a.Attrs
}

func (p *parser) findAttr(a *ast.Attrs, sym ast.Symbol) int {
	defs := p.attrsOf(a)
	if len(defs) >= indexFrom {
		if i, ok := p.index[a][sym]; ok {
			return i
		}
		return -1
	}
	for i := range defs {
		if defs[i].Name == sym {
			return i
		}
	}
	return -1
}

func (p *parser) insertAttr(a *ast.Attrs, def ast.AttrDef) {
	var n int
	if a == p.open {
		p.defs = append(p.defs, def)
		n = len(p.defs) - p.openBase
	} else {
		a.Attrs = append(a.Attrs, def)
		n = len(a.Attrs)
	}
	switch {
	case n > indexFrom:
		p.index[a][def.Name] = n - 1
	case n == indexFrom:
		if p.index == nil {
			p.index = make(map[*ast.Attrs]map[ast.Symbol]int)
		}
		defs := p.attrsOf(a)
		idx := make(map[ast.Symbol]int, 2*n)
		for i := range defs {
			idx[defs[i].Name] = i
		}
		p.index[a] = idx
	}
}

// addAttr is parser.y's addAttr: it adds `path = e;` to attrs, creating
// or descending into nested sets and merging set literals.
func (p *parser) addAttr(attrs *ast.Attrs, path []ast.AttrName, e ast.Expr, pos ast.Pos) {
	for _, a := range path[:len(path)-1] {
		if a.Expr != nil {
			nested := p.newAttrs(ast.Pos{})
			attrs.Dynamic = append(attrs.Dynamic, ast.DynAttr{Name: a.Expr, Value: nested, Pos: pos})
			attrs = nested
			continue
		}
		if j := p.findAttr(attrs, a.Sym); j >= 0 {
			def := &p.attrsOf(attrs)[j]
			nested, ok := def.Value.(*ast.Attrs)
			if def.Inherited || !ok {
				p.dupAttrPath(path, pos, def.Pos)
				return
			}
			attrs = nested
			continue
		}
		nested := p.newAttrs(ast.Pos{})
		p.insertAttr(attrs, ast.AttrDef{Name: a.Sym, Value: nested, Pos: pos})
		attrs = nested
	}
	last := path[len(path)-1]
	if last.Expr != nil {
		attrs.Dynamic = append(attrs.Dynamic, ast.DynAttr{Name: last.Expr, Value: e, Pos: pos})
		return
	}
	j := p.findAttr(attrs, last.Sym)
	if j < 0 {
		p.insertAttr(attrs, ast.AttrDef{Name: last.Sym, Value: e, Pos: pos})
		setName(e, last.Sym)
		return
	}
	old := p.attrsOf(attrs)[j]
	oldSet, ok1 := old.Value.(*ast.Attrs)
	newSet, ok2 := e.(*ast.Attrs)
	if !ok1 || !ok2 {
		p.dupAttrPath(path, pos, old.Pos)
		return
	}
	// Both are set literals: the new one's static attributes move into the
	// old one (in symbol order); its dynamic attributes are dropped, as in
	// Nix 2.8.
	sortAttrs(newSet)
	for _, ad := range newSet.Attrs {
		if k := p.findAttr(oldSet, ad.Name); k >= 0 {
			p.dupAttr(ad.Name, p.attrsOf(oldSet)[k].Pos, ad.Pos)
			return
		}
		p.insertAttr(oldSet, ad)
	}
}

// setName names a lambda after the attribute it is bound to, down a
// chain of curried lambdas (ExprLambda::setName).
func setName(e ast.Expr, name ast.Symbol) {
	for {
		l, ok := e.(*ast.Lambda)
		if !ok {
			return
		}
		l.Name = name
		e = l.Body
	}
}

// isFormals decides, at `{` where a function may start, between a
// pattern lambda and a set, as Bison's GLR parser ends up doing.
func (p *parser) isFormals() bool {
	switch t1 := p.peekAt(1); t1.kind {
	case tELLIPSIS:
		return true
	case tRBRACE:
		t2 := p.peekAt(2)
		if t2.kind == tCOLON || t2.kind == tAT {
			return true
		}
		p.glrAlt = t2.seq
	case tID:
		switch p.peekAt(2).kind {
		case tCOMMA, tQUESTION, tRBRACE:
			return true
		}
	}
	return false
}

type formalsList struct {
	formals  []ast.Formal
	ellipsis bool
}

// parseFormals parses the inside of a pattern: formal (',' formal)*
// [',' '...'] | '...' | nothing. Names are interned as each formal ends.
func (p *parser) parseFormals() formalsList {
	var fl formalsList
	pending := 0 // formals are right-recursive: `formal ','` items stay on Bison's stack
	defer func() { p.leave(pending) }()
	for p.err == nil {
		t := p.peek()
		if t.kind == tELLIPSIS {
			p.advance()
			fl.ellipsis = true
			break
		}
		if t.kind != tID {
			break
		}
		p.advance()
		var def ast.Expr
		if p.peekKind() == tQUESTION {
			p.advance()
			if !p.enter(2) {
				break
			}
			def = p.parseExpr()
			p.leave(2)
			if p.err != nil {
				break
			}
		}
		fl.formals = append(fl.formals, ast.Formal{Pos: p.pos(t), Name: p.intern(t.text), Default: def})
		if p.peekKind() != tCOMMA {
			break
		}
		p.advance()
		pending += 2
		if !p.enter(2) {
			break
		}
	}
	return fl
}

func (p *parser) parsePatternLambda() ast.Expr {
	open := p.next()
	if !p.enter(2) {
		return nil
	}
	fl := p.parseFormals()
	if !p.expect(tRBRACE, tRBRACE) {
		return nil
	}
	arg := token{kind: tEOF}
	t := p.peek()
	switch t.kind {
	case tCOLON:
		p.advance()
	case tAT:
		p.advance()
		id, ok := p.expectTok(tID, tID)
		if !ok {
			return nil
		}
		if !p.expect(tCOLON, tCOLON) {
			return nil
		}
		arg = id
	default:
		p.syntaxError(t, tCOLON, tAT)
		return nil
	}
	extra := 2
	if arg.kind == tID {
		extra = 4
	}
	return p.finishPatternLambda(open, fl, arg, extra, 2+extra)
}

func (p *parser) parseAtLambda() ast.Expr {
	id := p.next()
	p.advance() // '@'
	if !p.enter(2) {
		return nil
	}
	if !p.expect(tLBRACE, tLBRACE) {
		return nil
	}
	if !p.enter(2) {
		return nil
	}
	fl := p.parseFormals()
	if !p.expect(tRBRACE, tRBRACE) {
		return nil
	}
	if !p.expect(tCOLON, tCOLON) {
		return nil
	}
	return p.finishPatternLambda(id, fl, id, 2, 6)
}

// finishPatternLambda parses the body and builds the lambda; the name and
// the formals are checked after the body, when Bison reduces.
func (p *parser) finishPatternLambda(start token, fl formalsList, arg token, extra, total int) ast.Expr {
	if !p.enter(extra) {
		return nil
	}
	body := p.parseExpr()
	p.leave(total)
	if p.err != nil {
		return nil
	}
	lam := &ast.Lambda{Pos: p.pos(start), Arg: ast.NoSymbol, HasFormals: true, Ellipsis: fl.ellipsis, Body: body, Name: ast.NoSymbol}
	if arg.kind == tID {
		lam.Arg = p.intern(arg.text)
	}
	f := fl.formals
	slices.SortStableFunc(f, func(a, b ast.Formal) int {
		if a.Name != b.Name {
			return cmp.Compare(a.Name, b.Name)
		}
		if posLess(a.Pos, b.Pos) {
			return -1
		}
		if posLess(b.Pos, a.Pos) {
			return 1
		}
		return 0
	})
	dup := -1
	for i := 0; i+1 < len(f); i++ {
		if f[i].Name == f[i+1].Name {
			if dup < 0 || f[i].Name < f[dup].Name || f[i].Name == f[dup].Name && posLess(f[i+1].Pos, f[dup+1].Pos) {
				dup = i
			}
		}
	}
	if dup >= 0 {
		p.setErr(f[dup+1].Pos, "duplicate formal function argument '"+p.syms.Name(f[dup].Name)+"'")
		return nil
	}
	lam.Formals = f
	if lam.Arg != ast.NoSymbol && lam.FormalIndex(lam.Arg) >= 0 {
		p.setErr(lam.Pos, "duplicate formal function argument '"+p.syms.Name(lam.Arg)+"'")
		return nil
	}
	return lam
}

func posLess(a, b ast.Pos) bool {
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}
