package parser

import (
	"cmp"
	"slices"
	"strconv"

	"gonix/internal/lang/ast"
)

// Options are the inputs Parse needs besides the text.
type Options struct {
	BaseDir string // directory for relative paths (the file's directory, or cwd for -E/stdin)
	Home    string // $HOME, for ~/ paths
	// Paths, if not nil, collects the value of every path literal
	// without interpolation (the files the expression may import).
	Paths *[]string
	// Arena, if not nil, is shared with the other parses of the same
	// goroutine (see Arena).
	Arena *Arena
}

// An Arena carries what successive parses on one goroutine share: the
// chunks syntax-tree nodes are carved from, so that the part of a chunk
// one file left unused serves the next file (a configuration of 300 small
// files left a quarter of a chunk of each node type unused per file), and
// the parser's working stacks. It is not safe for concurrent use.
type Arena struct {
	nodes   nodes
	defs    []ast.AttrDef
	names   []ast.AttrName
	exprs   []ast.Expr
	exprPos []ast.Pos
}

// Parse parses one complete expression. The result is not resolved:
// Var nodes carry only Name.
//
// Names are interned in the order Nix 2.8's parser creates its symbols
// (the order in which Bison reduces), which Appendix B of the language
// spec relies on. Node positions are set exactly where Nix 2.8 keeps one
// (Var, Select, Attrs, Lambda, Formal, Call, With, If, Assert, the
// &&/||/->/'//'/++ operators, ConcatStrings, CurPos); Int, Float,
// String, Path, List, Let, Not, HasAttr and ==/!= have the zero Pos, as
// in Nix, so error messages can match Nix's.
func Parse(src *ast.Source, syms *ast.Symbols, opts Options) (ast.Expr, error) {
	p := &parser{s: newScanner(src.Text), src: src, syms: syms, opts: opts, glrAlt: -1, depth: 1}
	a := opts.Arena
	if a == nil {
		a = new(Arena)
	}
	p.nodes = &a.nodes
	// The stacks start at sizes most files never outgrow (growing them
	// one append at a time costs more, for the many small files of a
	// configuration).
	p.defs = reuse(a.defs, 32)
	p.names = reuse(a.names, 16)
	p.exprs = reuse(a.exprs, 32)
	p.exprPos = reuse(a.exprPos, 16)
	defer func() {
		a.defs, a.names, a.exprs, a.exprPos = p.defs[:0], p.names[:0], p.exprs[:0], p.exprPos[:0]
	}()
	// Nix interns the origin (the file name, or the whole text of -E and
	// stdin input) before parsing.
	if src.Origin == ast.OriginFile {
		syms.Intern(src.Path)
	} else {
		syms.Intern(src.Text)
	}
	p.scan(&p.tok)
	e := p.parseExpr()
	if p.err == nil {
		if t := p.peek(); t.kind != tEOF {
			p.syntaxError(t, tEOF)
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	for _, a := range p.allAttrs {
		sortAttrs(a)
	}
	return e, nil
}

// maxDepth emulates Bison's stack limit (YYMAXDEPTH 10000 items less its
// headroom): deeper nesting is "memory exhausted", as in Nix. The depth
// is an estimate of the number of items on Bison's stack.
const maxDepth = 9999

type parser struct {
	s    *scanner
	src  *ast.Source
	syms *ast.Symbols
	opts Options
	err  *Error

	tok      token    // the next token
	ahead    [3]token // the tokens after it that were peeked at
	nahead   int
	seq      int32
	lastLine int32 // where the token consumed last starts
	lastCol  int32

	depth  int
	glrAlt int32 // seq of the token after `{ }` at the start of a function, or -1

	allAttrs []*ast.Attrs
	index    map[*ast.Attrs]map[ast.Symbol]int

	// Stacks that nested parses share (each leaves them as it found
	// them): attribute path components, the attributes of the open sets
	// (open is the innermost, its attributes start at openBase), and the
	// elements of applications, lists and strings being parsed. What is
	// popped is not cleared: it is part of the tree anyway, and the
	// parser lives only as long as the parse.
	names    []ast.AttrName
	defs     []ast.AttrDef
	open     *ast.Attrs
	openBase int
	exprs    []ast.Expr
	exprPos  []ast.Pos
	ind      []indPart

	buf  []byte // stripIndentation's scratch
	ends []int

	nodes *nodes
}

// reuse gives s emptied, or a new slice of capacity n when s has none.
func reuse[T any](s []T, n int) []T {
	if cap(s) == 0 {
		return make([]T, 0, n)
	}
	return s[:0]
}

func (p *parser) pos(t token) ast.Pos {
	return ast.Pos{Src: p.src, Line: t.line, Col: t.col}
}

// scan reads the token after the ones already read into *t.
func (p *parser) scan(t *token) {
	p.s.scan(t)
	t.seq = p.seq
	p.seq++
}

// cur returns the next token, which stays valid until the parser
// consumes it; a lexical error becomes the parse error.
func (p *parser) cur() *token {
	if p.tok.kind == tError {
		p.setErr(p.pos(p.tok), p.tok.text)
	}
	return &p.tok
}

// peek returns a copy of the next token.
func (p *parser) peek() token { return *p.cur() }

// peekKind returns the kind of the next token.
func (p *parser) peekKind() tokKind { return p.cur().kind }

// peekPos returns the position of the next token.
func (p *parser) peekPos() ast.Pos {
	t := p.cur()
	return ast.Pos{Src: p.src, Line: t.line, Col: t.col}
}

// peekAt returns the token n places after the next one (n <= 3).
func (p *parser) peekAt(n int) token {
	if n == 0 {
		return p.peek()
	}
	for p.nahead < n {
		p.scan(&p.ahead[p.nahead])
		p.nahead++
	}
	t := p.ahead[n-1]
	if t.kind == tError {
		p.setErr(p.pos(t), t.text)
	}
	return t
}

// advance consumes the next token.
func (p *parser) advance() {
	p.lastLine, p.lastCol = p.tok.line, p.tok.col
	if p.nahead > 0 {
		p.tok = p.ahead[0]
		p.nahead--
		copy(p.ahead[:p.nahead], p.ahead[1:p.nahead+1])
	} else {
		p.scan(&p.tok)
	}
	if p.depth+1 >= maxDepth {
		p.stackFull()
	}
}

// stackFull reports that shifting a token would overflow Bison's stack.
func (p *parser) stackFull() { p.setErr(p.lastPos(), "memory exhausted") }

// next consumes the next token and returns it.
func (p *parser) next() token {
	t := *p.cur()
	p.advance()
	return t
}

// lastPos is where the token consumed last starts.
func (p *parser) lastPos() ast.Pos {
	return ast.Pos{Src: p.src, Line: p.lastLine, Col: p.lastCol}
}

// expect consumes a token of kind k or reports a syntax error listing
// expecting.
func (p *parser) expect(k tokKind, expecting ...tokKind) bool {
	t := p.cur()
	if p.err != nil {
		return false
	}
	if t.kind != k {
		p.syntaxError(*t, expecting...)
		return false
	}
	p.advance()
	return true
}

// expectTok is expect that returns the token.
func (p *parser) expectTok(k tokKind, expecting ...tokKind) (token, bool) {
	t := p.peek()
	if !p.expect(k, expecting...) {
		return t, false
	}
	return t, true
}

// enter accounts for n more items on Bison's stack.
func (p *parser) enter(n int) bool {
	p.depth += n
	if p.depth >= maxDepth && p.err == nil {
		p.setErr(p.lastPos(), "memory exhausted")
	}
	return p.err == nil
}

func (p *parser) leave(n int) { p.depth -= n }

func (p *parser) intern(s string) ast.Symbol { return p.syms.Intern(s) }

func (p *parser) opVar(name string) *ast.Var { return p.newVar(ast.Pos{}, p.intern(name)) }

// parseExpr parses expr_function.
func (p *parser) parseExpr() ast.Expr {
	if p.err != nil {
		return nil
	}
	t := p.peek()
	switch t.kind {
	case tID:
		switch p.peekAt(1).kind {
		case tCOLON:
			return p.parseSimpleLambda()
		case tAT:
			return p.parseAtLambda()
		}
	case tLBRACE:
		if p.isFormals() {
			return p.parsePatternLambda()
		}
	case tASSERT, tWITH:
		p.advance()
		if !p.enter(1) {
			return nil
		}
		cond := p.parseExpr()
		if !p.expect(tSEMI, tSEMI) {
			return nil
		}
		p.enter(2)
		body := p.parseExpr()
		p.leave(3)
		if p.err != nil {
			return nil
		}
		if t.kind == tASSERT {
			return &ast.Assert{Pos: p.pos(t), Cond: cond, Body: body}
		}
		return &ast.With{Pos: p.pos(t), Attrs: cond, Body: body}
	case tLET:
		if p.peekAt(1).kind != tLBRACE {
			return p.parseLet()
		}
	case tIF:
		p.advance()
		if !p.enter(1) {
			return nil
		}
		c := p.parseExpr()
		if !p.expect(tTHEN, tTHEN) {
			return nil
		}
		p.enter(2)
		a := p.parseExpr()
		if !p.expect(tELSE, tELSE) {
			return nil
		}
		p.enter(2)
		b := p.parseExpr()
		p.leave(5)
		if p.err != nil {
			return nil
		}
		return &ast.If{Pos: p.pos(t), Cond: c, Then: a, Else: b}
	}
	return p.parseOp(0)
}

func (p *parser) parseSimpleLambda() ast.Expr {
	id := p.next()
	p.advance() // ':'
	if !p.enter(2) {
		return nil
	}
	body := p.parseExpr()
	p.leave(2)
	if p.err != nil {
		return nil
	}
	l := p.nodes.lambdas.new()
	l.Pos, l.Arg, l.Body, l.Name = p.pos(id), p.intern(id.text), body, ast.NoSymbol
	return l
}

func (p *parser) parseLet() ast.Expr {
	let := p.next()
	attrs := p.newAttrs(p.pos(let))
	if !p.enter(2) {
		return nil
	}
	p.parseBinds(attrs, tokenEnd(let, 3))
	if p.err != nil {
		return nil
	}
	t := p.peek()
	if t.kind != tIN {
		p.syntaxError(t) // binds: six tokens would do
		return nil
	}
	p.advance()
	p.enter(1)
	body := p.parseExpr()
	p.leave(3)
	if p.err != nil {
		return nil
	}
	if len(attrs.Dynamic) > 0 {
		p.setErr(p.pos(let), "dynamic attributes not allowed in let")
		return nil
	}
	return &ast.Let{Attrs: attrs, Body: body}
}

// tokenEnd is the position just after a token of n bytes on one line (the
// location of an empty rule after it).
func tokenEnd(t token, n int32) token {
	t.col += n
	return t
}

// Binary operators: precedence (higher binds tighter) and associativity,
// from parser.y's %left/%right/%nonassoc lines.
const (
	precImpl   = 1
	precOr     = 2
	precAnd    = 3
	precEq     = 4
	precCmp    = 5
	precUpdate = 6
	precNot    = 7
	precAdd    = 8
	precMul    = 9
	precConcat = 10
	precHas    = 11
	precNegate = 12
)

type assoc uint8

const (
	assocLeft assoc = iota
	assocRight
	assocNone
)

func binOp(k tokKind) (int, assoc) {
	switch k {
	case tIMPL:
		return precImpl, assocRight
	case tOR:
		return precOr, assocLeft
	case tAND:
		return precAnd, assocLeft
	case tEQ, tNEQ:
		return precEq, assocNone
	case tLT, tGT, tLEQ, tGEQ:
		return precCmp, assocNone
	case tUPDATE:
		return precUpdate, assocRight
	case tPLUS, tMINUS:
		return precAdd, assocLeft
	case tMUL, tDIV:
		return precMul, assocLeft
	case tCONCAT:
		return precConcat, assocRight
	case tQUESTION:
		// %nonassoc, but no conflict arises: `a ? b ? c` is ((a ? b) ? c).
		return precHas, assocLeft
	}
	return 0, 0
}

// parseOp parses expr_op with operators of precedence >= minPrec.
func (p *parser) parseOp(minPrec int) ast.Expr {
	if p.err != nil {
		return nil
	}
	first := p.cur()
	start := p.pos(*first)
	var left ast.Expr
	switch first.kind {
	case tNOT:
		p.advance()
		if !p.enter(1) {
			return nil
		}
		e := p.parseOp(precNot + 1)
		p.leave(1)
		if p.err != nil {
			return nil
		}
		left = &ast.Not{E: e}
	case tMINUS:
		p.advance()
		if !p.enter(1) {
			return nil
		}
		e := p.parseOp(precNegate + 1)
		p.leave(1)
		if p.err != nil {
			return nil
		}
		left = p.call2(start, p.opVar("__sub"), p.newInt(0), e)
	default:
		left = p.parseApp()
	}
	lastPrec := -1
	for p.err == nil {
		k := p.peekKind()
		prec, as := binOp(k)
		if prec == 0 || prec < minPrec {
			break
		}
		if as == assocNone && prec == lastPrec {
			// %nonassoc: Bison's explicit error action; its state accepts
			// more than four other tokens.
			p.syntaxError(p.peek())
			return nil
		}
		p.advance()
		if !p.enter(2) {
			return nil
		}
		if k == tQUESTION {
			path := p.parseAttrPath()
			p.leave(2)
			if p.err != nil {
				return nil
			}
			left = &ast.HasAttr{E: left, Path: path}
			lastPrec = prec
			continue
		}
		rhsStart := p.peekPos()
		next := prec + 1
		if as == assocRight {
			next = prec
		}
		right := p.parseOp(next)
		p.leave(2)
		if p.err != nil {
			return nil
		}
		left = p.binary(k, start, left, rhsStart, right)
		lastPrec = prec
	}
	if p.err != nil {
		return nil
	}
	return left
}

func (p *parser) binary(k tokKind, pos ast.Pos, a ast.Expr, bPos ast.Pos, b ast.Expr) ast.Expr {
	call := func(name string, x, y ast.Expr) *ast.Call { return p.call2(pos, p.opVar(name), x, y) }
	switch k {
	case tEQ:
		return &ast.BinOp{Op: ast.OpEq, A: a, B: b}
	case tNEQ:
		return &ast.BinOp{Op: ast.OpNEq, A: a, B: b}
	case tAND:
		return &ast.BinOp{Pos: pos, Op: ast.OpAnd, A: a, B: b}
	case tOR:
		return &ast.BinOp{Pos: pos, Op: ast.OpOr, A: a, B: b}
	case tIMPL:
		return &ast.BinOp{Pos: pos, Op: ast.OpImpl, A: a, B: b}
	case tUPDATE:
		return &ast.BinOp{Pos: pos, Op: ast.OpUpdate, A: a, B: b}
	case tCONCAT:
		return &ast.BinOp{Pos: pos, Op: ast.OpConcatLists, A: a, B: b}
	case tLT:
		return call("__lessThan", a, b)
	case tGT:
		return call("__lessThan", b, a)
	case tLEQ:
		return &ast.Not{E: call("__lessThan", b, a)}
	case tGEQ:
		return &ast.Not{E: call("__lessThan", a, b)}
	case tPLUS:
		return p.concat2(pos, a, bPos, b)
	case tMINUS:
		return call("__sub", a, b)
	case tMUL:
		return call("__mul", a, b)
	case tDIV:
		return call("__div", a, b)
	}
	return nil
}

// startsSelect reports whether k can start expr_select (and so continue
// an application or a list).
func startsSelect(k tokKind) bool {
	switch k {
	case tID, tINT, tFLOAT, tQUOTE, tINDOPEN, tPATH, tHPATH, tSPATH, tURI,
		tLPAREN, tLET, tREC, tLBRACE, tLBRACKET:
		return true
	}
	return false
}

// parseApp parses expr_app. Like parser.y, an argument applied to a Call
// (also a parenthesised one, or a desugared operator) joins that Call.
func (p *parser) parseApp() ast.Expr {
	start := p.peekPos()
	f := p.parseSelect()
	if p.err != nil || !startsSelect(p.peekKind()) {
		if p.err != nil {
			return nil
		}
		return f
	}
	// (After an error the stacks are left as they are: the parse is over.)
	base := len(p.exprs)
	for p.err == nil && startsSelect(p.peekKind()) {
		if !p.enter(1) {
			return nil
		}
		arg := p.parseSelect()
		p.leave(1)
		if p.err != nil {
			return nil
		}
		p.exprs = append(p.exprs, arg)
	}
	if p.err != nil {
		return nil
	}
	var call *ast.Call
	if c, ok := f.(*ast.Call); ok {
		c.Args = append(c.Args, p.exprs[base:]...)
		call = c
	} else {
		call = p.newCall(start, f, p.exprs[base:])
	}
	p.popExprs(base)
	return call
}

// popExprs drops p.exprs[base:].
func (p *parser) popExprs(base int) {
	p.exprs = p.exprs[:base]
}

// parseSelect parses expr_select.
func (p *parser) parseSelect() ast.Expr {
	start := p.peekPos()
	e := p.parseSimple()
	if p.err != nil {
		return nil
	}
	switch p.peekKind() {
	case tDOT:
		p.advance()
		if !p.enter(2) {
			return nil
		}
		base := p.pushAttrPath()
		var def ast.Expr
		if p.err == nil && p.peekKind() == tORKW {
			p.advance()
			p.enter(2)
			def = p.parseSelect()
			p.leave(2)
		}
		p.leave(2)
		if p.err != nil {
			return nil
		}
		sel := p.newSelect(start, e, p.names[base:], def)
		p.popNames(base)
		return sel
	case tORKW:
		// `f or`: the application of f to the variable `or`.
		p.advance()
		return p.call1(start, e, p.newVar(start, p.intern("or")))
	}
	if p.err != nil {
		return nil
	}
	return e
}

// parseSimple parses expr_simple.
func (p *parser) parseSimple() ast.Expr {
	if c := p.cur(); c.kind == tID && p.err == nil && c.text != "__curPos" {
		// The most common case, without copying the token.
		pos, text := p.pos(*c), c.text
		p.advance()
		return p.newVar(pos, p.intern(text))
	}
	t := p.peek()
	if p.err != nil {
		return nil
	}
	switch t.kind {
	case tID:
		p.advance()
		if t.text == "__curPos" {
			return &ast.CurPos{Pos: p.pos(t)}
		}
		return p.newVar(p.pos(t), p.intern(t.text))
	case tINT:
		p.advance()
		return p.newInt(intValue(t.text))
	case tFLOAT:
		p.advance()
		v, _ := parseFloat(t.text) // the scanner checked it
		return &ast.Float{Val: v}
	case tQUOTE:
		p.advance()
		return p.parseString()
	case tINDOPEN:
		p.advance()
		return p.parseIndString(t)
	case tPATH, tHPATH:
		p.advance()
		return p.parsePath(t)
	case tSPATH:
		p.advance()
		pos := p.pos(t)
		return p.call2(pos, p.opVar("__findFile"), p.opVar("__nixPath"), p.newString(t.text[1:len(t.text)-1]))
	case tURI:
		p.advance()
		return p.newString(t.text)
	case tLPAREN:
		p.advance()
		if !p.enter(1) {
			return nil
		}
		e := p.parseExpr()
		p.enter(1)
		if !p.expect(tRPAREN, tRPAREN) {
			return nil
		}
		p.leave(2)
		return e
	case tLET, tREC:
		p.advance()
		open, ok := p.expectTok(tLBRACE, tLBRACE)
		if !ok {
			return nil
		}
		attrs := p.parseAttrsBody(open, 2)
		if attrs == nil {
			return nil
		}
		attrs.Rec = true
		if t.kind == tREC {
			return attrs
		}
		return p.newSelect(ast.Pos{}, attrs, []ast.AttrName{{Sym: p.intern("body")}}, nil)
	case tLBRACE:
		open := p.next()
		attrs := p.parseAttrsBody(open, 1)
		if attrs == nil {
			return nil
		}
		return attrs
	case tLBRACKET:
		p.advance()
		if !p.enter(2) {
			return nil
		}
		base := len(p.exprs)
		for p.err == nil && startsSelect(p.peekKind()) {
			p.exprs = append(p.exprs, p.parseSelect())
		}
		if !p.expect(tRBRACKET) {
			return nil
		}
		p.leave(2)
		var elems []ast.Expr
		if len(p.exprs) > base {
			elems = p.nodes.exprs.clone(p.exprs[base:])
		}
		p.popExprs(base)
		return &ast.List{Elems: elems}
	}
	p.syntaxError(t)
	return nil
}

// intValue converts the text of an INT token (the scanner checked that it
// fits).
func intValue(text string) int64 {
	if len(text) > 18 {
		v, _ := strconv.ParseInt(text, 10, 64)
		return v
	}
	var v int64
	for i := 0; i < len(text); i++ {
		v = v*10 + int64(text[i]-'0')
	}
	return v
}

// parseAttrsBody parses `binds '}'` after the `{` open; items is how many
// Bison stack items precede the binds.
func (p *parser) parseAttrsBody(open token, items int) *ast.Attrs {
	attrs := p.newAttrs(p.pos(open))
	if !p.enter(items + 1) {
		return nil
	}
	p.parseBinds(attrs, tokenEnd(open, 1))
	if p.err != nil {
		return nil
	}
	t := p.peek()
	if t.kind != tRBRACE {
		p.syntaxError(t) // binds: six tokens would do
		return nil
	}
	p.advance()
	p.leave(items + 1)
	return attrs
}

func (p *parser) newAttrs(pos ast.Pos) *ast.Attrs {
	a := p.nodes.attrs.new()
	a.Pos = pos
	p.allAttrs = append(p.allAttrs, a)
	return a
}

func byName(x, y ast.AttrDef) int { return cmp.Compare(x.Name, y.Name) }

func sortAttrs(a *ast.Attrs) {
	if !slices.IsSortedFunc(a.Attrs, byName) {
		slices.SortFunc(a.Attrs, byName)
	}
}
