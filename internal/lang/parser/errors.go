package parser

import (
	"strconv"
	"strings"

	"gonix/internal/lang/ast"
)

// Error is a parse error: a syntax error in Bison's words, or one of the
// errors Nix 2.8's lexer and parser actions raise.
type Error struct {
	Pos ast.Pos
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// maxExpecting is how many expected tokens Bison lists at most; with more
// it lists none.
const maxExpecting = 4

func (p *parser) setErr(pos ast.Pos, msg string) {
	if p.err == nil {
		p.err = &Error{Pos: pos, Msg: msg}
	}
}

// syntaxError reports the unexpected token t. expecting are the tokens
// Bison's automaton accepts in the state where it detects the error (in
// Bison's symbol order); pass none where there are more than four.
func (p *parser) syntaxError(t token, expecting ...tokKind) {
	if p.err != nil {
		return
	}
	if t.kind == tError {
		p.setErr(p.pos(t), t.text)
		return
	}
	if p.glrAlt >= 0 && t.seq == p.glrAlt {
		// `{ }` at the start of a function: both of Bison's GLR stacks
		// died on this token and the formals one reports.
		expecting = []tokKind{tCOLON, tAT}
	}
	var b strings.Builder
	b.WriteString("syntax error, unexpected ")
	b.WriteString(t.kind.String())
	if len(expecting) > 0 && len(expecting) <= maxExpecting {
		for i, k := range expecting {
			if i == 0 {
				b.WriteString(", expecting ")
			} else {
				b.WriteString(" or ")
			}
			b.WriteString(k.String())
		}
	}
	p.setErr(p.pos(t), b.String())
}

// posString renders a position as Nix 2.8 does inside messages:
// "(string)" for both -E and stdin input.
func posString(pos ast.Pos) string {
	if !pos.IsValid() {
		return "undefined position"
	}
	name := pos.Src.Path
	if pos.Src.Origin == ast.OriginString || pos.Src.Origin == ast.OriginStdin {
		name = "(string)"
	}
	return name + ":" + strconv.Itoa(int(pos.Line)) + ":" + strconv.Itoa(int(pos.Col))
}

func (p *parser) dupAttrPath(path []ast.AttrName, pos, prev ast.Pos) {
	var b strings.Builder
	ast.ShowAttrPath(&b, p.syms, path)
	p.setErr(pos, "attribute '"+b.String()+"' already defined at "+posString(prev))
}

func (p *parser) dupAttr(sym ast.Symbol, pos, prev ast.Pos) {
	var b strings.Builder
	ast.ShowSymbol(&b, p.syms, sym)
	p.setErr(pos, "attribute '"+b.String()+"' already defined at "+posString(prev))
}
