package ast

import (
	"io"
	"sort"
	"strconv"

	"gonix/internal/lang/cfloat"
)

// Show writes e as `nix-instantiate --parse` prints it (Nix 2.8's
// Expr::show, spec/language.md §5.5), without the trailing newline.
func Show(w io.Writer, syms *Symbols, e Expr) {
	p := shower{syms: syms}
	p.expr(e)
	_, _ = w.Write(p.buf) // the caller owns w and its errors
}

// ShowAttrPath writes an attribute path as Nix's showAttrPath does.
func ShowAttrPath(w io.Writer, syms *Symbols, path []AttrName) {
	p := shower{syms: syms}
	p.attrPath(path)
	_, _ = w.Write(p.buf)
}

// ShowSymbol writes a name as Nix prints symbols: bare when it is an
// identifier (other than `if`), else as a quoted string.
func ShowSymbol(w io.Writer, syms *Symbols, s Symbol) {
	p := shower{syms: syms}
	p.id(syms.Name(s))
	_, _ = w.Write(p.buf)
}

type shower struct {
	syms *Symbols
	buf  []byte
}

func (p *shower) str(s string) { p.buf = append(p.buf, s...) }

func (p *shower) quoted(s string) {
	p.buf = append(p.buf, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '$':
			p.buf = append(p.buf, '\\', c)
		case '\n':
			p.str(`\n`)
		case '\r':
			p.str(`\r`)
		case '\t':
			p.str(`\t`)
		default:
			p.buf = append(p.buf, c)
		}
	}
	p.buf = append(p.buf, '"')
}

func (p *shower) id(s string) {
	if s == "" {
		p.str(`""`)
		return
	}
	if s == "if" { // Nix 2.8 quotes no other keyword
		p.str(`"if"`)
		return
	}
	c := s[0]
	if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_') {
		p.quoted(s)
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '\'' || c == '-') {
			p.quoted(s)
			return
		}
	}
	p.str(s)
}

func (p *shower) sym(s Symbol) { p.id(p.syms.Name(s)) }

func (p *shower) attrPath(path []AttrName) {
	for i, a := range path {
		if i > 0 {
			p.buf = append(p.buf, '.')
		}
		if a.Expr == nil {
			p.sym(a.Sym)
		} else {
			p.str(`"${`)
			p.expr(a.Expr)
			p.str(`}"`)
		}
	}
}

func (p *shower) expr(e Expr) {
	switch e := e.(type) {
	case *Int:
		p.buf = strconv.AppendInt(p.buf, e.Val, 10)
	case *Float:
		p.buf = cfloat.AppendG(p.buf, e.Val)
	case *String:
		p.quoted(e.Val)
	case *Path:
		p.str(e.Val)
	case *Var:
		p.sym(e.Name)
	case *Select:
		p.str("(")
		p.expr(e.E)
		p.str(").")
		p.attrPath(e.Path)
		if e.Default != nil {
			p.str(" or (")
			p.expr(e.Default)
			p.str(")")
		}
	case *HasAttr:
		p.str("((")
		p.expr(e.E)
		p.str(") ? ")
		p.attrPath(e.Path)
		p.str(")")
	case *Attrs:
		p.attrs(e)
	case *List:
		p.str("[ ")
		for _, x := range e.Elems {
			p.str("(")
			p.expr(x)
			p.str(") ")
		}
		p.str("]")
	case *Lambda:
		p.lambda(e)
	case *Call:
		p.str("(")
		p.expr(e.Fn)
		for _, a := range e.Args {
			p.str(" ")
			p.expr(a)
		}
		p.str(")")
	case *Let:
		p.str("(let ")
		if e.Attrs != nil {
			for _, a := range e.Attrs.Attrs {
				if a.Inherited {
					p.str("inherit ")
					p.sym(a.Name)
					p.str("; ")
				} else {
					p.sym(a.Name)
					p.str(" = ")
					p.expr(a.Value)
					p.str("; ")
				}
			}
		}
		p.str("in ")
		p.expr(e.Body)
		p.str(")")
	case *With:
		p.str("(with ")
		p.expr(e.Attrs)
		p.str("; ")
		p.expr(e.Body)
		p.str(")")
	case *If:
		p.str("(if ")
		p.expr(e.Cond)
		p.str(" then ")
		p.expr(e.Then)
		p.str(" else ")
		p.expr(e.Else)
		p.str(")")
	case *Assert:
		p.str("assert ")
		p.expr(e.Cond)
		p.str("; ")
		p.expr(e.Body)
	case *Not:
		p.str("(! ")
		p.expr(e.E)
		p.str(")")
	case *BinOp:
		p.str("(")
		p.expr(e.A)
		p.str(binOpText[e.Op])
		p.expr(e.B)
		p.str(")")
	case *ConcatStrings:
		p.str("(")
		for i, x := range e.Parts {
			if i > 0 {
				p.str(" + ")
			}
			p.expr(x)
		}
		p.str(")")
	case *CurPos:
		p.str("__curPos")
	case nil:
		p.str("<nil>")
	default:
		p.str("<unknown>")
	}
}

var binOpText = [...]string{
	OpEq:          " == ",
	OpNEq:         " != ",
	OpAnd:         " && ",
	OpOr:          " || ",
	OpImpl:        " -> ",
	OpUpdate:      " // ",
	OpConcatLists: " ++ ",
}

func (p *shower) attrs(e *Attrs) {
	if e.Rec {
		p.str("rec ")
	}
	p.str("{ ")
	// Static attributes print in name order (Nix sorts by the strings).
	order := make([]int, len(e.Attrs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool {
		return p.syms.Name(e.Attrs[order[i]].Name) < p.syms.Name(e.Attrs[order[j]].Name)
	})
	for _, i := range order {
		a := &e.Attrs[i]
		if a.Inherited {
			p.str("inherit ")
			p.sym(a.Name)
			p.str(" ; ")
		} else {
			p.sym(a.Name)
			p.str(" = ")
			p.expr(a.Value)
			p.str("; ")
		}
	}
	for _, d := range e.Dynamic {
		p.str(`"${`)
		p.expr(d.Name)
		p.str(`}" = `)
		p.expr(d.Value)
		p.str("; ")
	}
	p.str("}")
}

func (p *shower) lambda(e *Lambda) {
	p.str("(")
	if e.HasFormals {
		p.str("{ ")
		for i, f := range e.Formals {
			if i > 0 {
				p.str(", ")
			}
			p.sym(f.Name)
			if f.Default != nil {
				p.str(" ? ")
				p.expr(f.Default)
			}
		}
		if e.Ellipsis {
			if len(e.Formals) > 0 {
				p.str(", ")
			}
			p.str("...")
		}
		p.str(" }")
		if e.Arg != NoSymbol {
			p.str(" @ ")
		}
	}
	if e.Arg != NoSymbol {
		p.sym(e.Arg)
	}
	p.str(": ")
	p.expr(e.Body)
	p.str(")")
}
