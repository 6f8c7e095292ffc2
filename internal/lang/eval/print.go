package eval

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"

	"gonix/internal/lang/cfloat"
)

// Print writes v in nix-instantiate --eval's plain format (spec §5.1),
// without the trailing newline. It never forces anything.
func (st *State) Print(w io.Writer, v *Value) error {
	bw := bufio.NewWriter(w)
	p := printer{st: st, w: bw, seen: make(map[any]struct{})}
	p.value(v, true)
	return bw.Flush()
}

// PrintString renders v like Print (used by builtins.trace).
func (st *State) PrintString(v *Value) string {
	var b stringsBuilder
	p := printer{st: st, w: &b, seen: make(map[any]struct{})}
	p.value(v, true)
	return b.String()
}

type byteWriter interface {
	io.Writer
	io.ByteWriter
	io.StringWriter
}

type printer struct {
	st   *State
	w    byteWriter
	seen map[any]struct{}
}

func (p *printer) value(v *Value, top bool) {
	switch v.kind {
	case KInt:
		p.w.WriteString(strconv.FormatInt(v.n, 10))
	case KFloat:
		p.w.WriteString(cfloat.FormatG(v.Float()))
	case KBool:
		if v.n != 0 {
			p.w.WriteString("true")
		} else {
			p.w.WriteString("false")
		}
	case KNull:
		p.w.WriteString("null")
	case KString:
		writeValueString(p.w, v.StrS())
	case KPath:
		p.w.WriteString(v.StrS())
	case KAttrs:
		b := v.Attrs()
		if len(b.Attrs) > 0 {
			if _, ok := p.seen[b.id()]; ok {
				p.w.WriteString("«repeated»")
				return
			}
			p.seen[b.id()] = struct{}{}
		}
		p.w.WriteString("{ ")
		for _, a := range sortedByName(p.st, b) {
			writeAttrName(p.w, p.st.syms.Name(a.Name))
			p.w.WriteString(" = ")
			p.value(a.Val, false)
			p.w.WriteString("; ")
		}
		p.w.WriteString("}")
	case KList:
		elems := v.Elems()
		if len(elems) > 0 {
			var key any = v.p
			if len(elems) <= 2 {
				key = v
			}
			if _, ok := p.seen[key]; ok {
				p.w.WriteString("«repeated»")
				return
			}
			p.seen[key] = struct{}{}
		}
		p.w.WriteString("[ ")
		for _, e := range elems {
			p.value(e, false)
			p.w.WriteByte(' ')
		}
		p.w.WriteString("]")
	case KThunk, KApp, KGenApp, KBlackhole, KBlackholeApp, KBlackholeGen:
		p.w.WriteString("<CODE>")
	case KLambda:
		p.w.WriteString("<LAMBDA>")
	case KPrimOp:
		p.w.WriteString("<PRIMOP>")
	case KPrimOpApp:
		p.w.WriteString("<PRIMOP-APP>")
	}
}

// sortedByName returns the attributes in byte order of their names.
// (Names are distinct, so no stability is needed; small sets, the
// common case in toJSON and derivations, are insertion sorted.)
func sortedByName(st *State, b Bindings) []Attr {
	return sortedByNameIn(st, b, nil)
}

// sortedByNameIn is sortedByName using buf, when it is big enough, for
// the result (toJSON keeps it on its stack).
func sortedByNameIn(st *State, b Bindings, buf *[16]Attr) []Attr {
	var out []Attr
	if buf != nil && len(b.Attrs) <= len(buf) {
		out = buf[:len(b.Attrs)]
	} else {
		out = make([]Attr, len(b.Attrs))
	}
	copy(out, b.Attrs)
	syms := st.syms
	if len(out) <= 16 {
		// each name looked up once
		var names [16]string
		for i := range out {
			names[i] = syms.Name(out[i].Name)
		}
		for i := 1; i < len(out); i++ {
			for j := i; j > 0 && names[j] < names[j-1]; j-- {
				out[j], out[j-1] = out[j-1], out[j]
				names[j], names[j-1] = names[j-1], names[j]
			}
		}
		return out
	}
	type named struct {
		name string
		a    Attr
	}
	tmp := make([]named, len(out))
	for i, a := range out {
		tmp[i] = named{syms.Name(a.Name), a}
	}
	slices.SortFunc(tmp, func(x, y named) int { return strings.Compare(x.name, y.name) })
	for i := range tmp {
		out[i] = tmp[i].a
	}
	return out
}

// writeValueString prints a string value: `$` is escaped only before `{`.
func writeValueString(w byteWriter, s string) {
	w.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			w.WriteByte('\\')
			w.WriteByte(c)
		case '\n':
			w.WriteString("\\n")
		case '\r':
			w.WriteString("\\r")
		case '\t':
			w.WriteString("\\t")
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				w.WriteString("\\$")
			} else {
				w.WriteByte('$')
			}
		default:
			w.WriteByte(c)
		}
	}
	w.WriteByte('"')
}

// writeAttrName prints an attribute name bare when it is an identifier
// other than `if`, else quoted with `$` always escaped.
func writeAttrName(w byteWriter, s string) {
	if isBareIdent(s) {
		w.WriteString(s)
		return
	}
	w.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\', '$':
			w.WriteByte('\\')
			w.WriteByte(c)
		case '\n':
			w.WriteString("\\n")
		case '\r':
			w.WriteString("\\r")
		case '\t':
			w.WriteString("\\t")
		default:
			w.WriteByte(c)
		}
	}
	w.WriteByte('"')
}

func isBareIdent(s string) bool {
	if s == "" || s == "if" {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '\'' || c == '-') {
			return false
		}
	}
	return true
}
