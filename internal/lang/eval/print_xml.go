package eval

import (
	"io"
	"sort"
	"strconv"
	"strings"

	"gonix/internal/lang/ast"
	"gonix/internal/lang/cfloat"
)

// PrintXML writes v as nix-instantiate --xml does (spec §5.4).
func (st *State) PrintXML(w io.Writer, v *Value, strict, location bool) error {
	var b strings.Builder
	// Like Nix's XMLWriter, elements still open when an error strikes are
	// closed, and the partial document is written.
	err := st.protect(func() { st.writeXMLDoc(&b, v, strict, location) })
	io.WriteString(w, b.String())
	return err
}

func (st *State) writeXMLDoc(b *strings.Builder, v *Value, strict, location bool) {
	x := xmlWriter{st: st, b: b, strict: strict, location: location, drvsSeen: map[string]bool{}}
	b.WriteString("<?xml version='1.0' encoding='utf-8'?>\n<expr>\n")
	defer b.WriteString("</expr>\n")
	x.value(v, 1)
}

type xmlWriter struct {
	st       *State
	b        *strings.Builder
	strict   bool
	location bool
	drvsSeen map[string]bool
}

type xmlAttr struct{ k, v string }

func (x *xmlWriter) open(depth int, name string, attrs []xmlAttr, empty bool) {
	x.b.WriteString(strings.Repeat("  ", depth))
	x.b.WriteByte('<')
	x.b.WriteString(name)
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].k < attrs[j].k })
	for _, a := range attrs {
		x.b.WriteByte(' ')
		x.b.WriteString(a.k)
		x.b.WriteString(`="`)
		x.b.WriteString(xmlEscape(a.v))
		x.b.WriteByte('"')
	}
	if empty {
		x.b.WriteString(" />\n")
	} else {
		x.b.WriteString(">\n")
	}
}

func (x *xmlWriter) close(depth int, name string) {
	x.b.WriteString(strings.Repeat("  ", depth))
	x.b.WriteString("</")
	x.b.WriteString(name)
	x.b.WriteString(">\n")
}

func xmlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b.WriteString("&quot;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n':
			b.WriteString("&#xA;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (x *xmlWriter) posAttrs(p *ast.Pos, attrs []xmlAttr) []xmlAttr {
	if x.location && p != nil && p.IsValid() {
		attrs = append(attrs, xmlAttr{"column", strconv.Itoa(int(p.Col))}, xmlAttr{"line", strconv.Itoa(int(p.Line))}, xmlAttr{"path", p.PosFile()})
	}
	return attrs
}

func (x *xmlWriter) attrs(b Bindings, depth int) {
	for _, a := range sortedByName(x.st, b) {
		x.attr(a, depth)
	}
}

func (x *xmlWriter) attr(a Attr, depth int) {
	x.open(depth, "attr", x.posAttrs(x.st.attrPos(a.Pos), []xmlAttr{{"name", x.st.syms.Name(a.Name)}}), false)
	defer x.close(depth, "attr")
	x.value(a.Val, depth+1)
}

func (x *xmlWriter) value(v *Value, depth int) {
	x.st.enter(ast.Pos{})
	defer func() { x.st.depth-- }()
	if x.strict {
		x.st.force(v, ast.Pos{})
	}
	switch v.kind {
	case KInt:
		x.open(depth, "int", []xmlAttr{{"value", strconv.FormatInt(v.n, 10)}}, true)
	case KFloat:
		x.open(depth, "float", []xmlAttr{{"value", cfloat.FormatG(v.Float())}}, true)
	case KBool:
		s := "false"
		if v.n != 0 {
			s = "true"
		}
		x.open(depth, "bool", []xmlAttr{{"value", s}}, true)
	case KString:
		x.open(depth, "string", []xmlAttr{{"value", v.StrS()}}, true)
	case KPath:
		x.open(depth, "path", []xmlAttr{{"value", v.StrS()}}, true)
	case KNull:
		x.open(depth, "null", nil, true)
	case KAttrs:
		b := v.Attrs()
		if x.st.isDerivation(v) {
			var xa []xmlAttr
			drvPath := ""
			if a := b.Get(x.st.sDrvPath); a != nil {
				if x.strict {
					x.st.force(a.Val, ast.Pos{})
				}
				if a.Val.kind == KString {
					drvPath = a.Val.StrS()
					xa = append(xa, xmlAttr{"drvPath", drvPath})
				}
			}
			if a := b.Get(x.st.sOutPath); a != nil {
				if x.strict {
					x.st.force(a.Val, ast.Pos{})
				}
				if a.Val.kind == KString {
					xa = append(xa, xmlAttr{"outPath", a.Val.StrS()})
				}
			}
			x.open(depth, "derivation", xa, false)
			defer x.close(depth, "derivation")
			if drvPath != "" && !x.drvsSeen[drvPath] {
				x.drvsSeen[drvPath] = true
				x.attrs(b, depth+1)
			} else {
				x.open(depth+1, "repeated", nil, true)
			}
			return
		}
		x.open(depth, "attrs", nil, false)
		defer x.close(depth, "attrs")
		x.attrs(b, depth+1)
	case KList:
		x.open(depth, "list", nil, false)
		defer x.close(depth, "list")
		for _, e := range v.Elems() {
			x.value(e, depth+1)
		}
	case KLambda:
		l := (*ast.Lambda)(v.p)
		x.open(depth, "function", x.posAttrs(&l.Pos, nil), false)
		if l.HasFormals {
			var xa []xmlAttr
			if l.Ellipsis {
				xa = append(xa, xmlAttr{"ellipsis", "1"})
			}
			if l.Arg != ast.NoSymbol {
				xa = append(xa, xmlAttr{"name", x.st.syms.Name(l.Arg)})
			}
			x.open(depth+1, "attrspat", xa, false)
			names := make([]string, len(l.Formals))
			for i, f := range l.Formals {
				names[i] = x.st.syms.Name(f.Name)
			}
			sort.Strings(names)
			for _, n := range names {
				x.open(depth+2, "attr", []xmlAttr{{"name", n}}, true)
			}
			x.close(depth+1, "attrspat")
		} else {
			x.open(depth+1, "varpat", []xmlAttr{{"name", x.st.syms.Name(l.Arg)}}, true)
		}
		x.close(depth, "function")
	default:
		x.open(depth, "unevaluated", nil, true)
	}
}
