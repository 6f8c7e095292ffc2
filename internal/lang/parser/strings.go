package parser

import (
	"bytes"
	"strings"

	"gonix/internal/lang/ast"
)

// parseString parses string_parts '"' after the opening quote. A lone
// literal is a String; any interpolation makes a ConcatStrings with
// ForceString, even `"${x}"` alone.
func (p *parser) parseString() ast.Expr {
	t := p.cur()
	if t.kind == tSTR {
		// The common case: one literal, then the closing quote.
		text := t.text
		p.advance()
		if p.peekKind() != tDOLLARCURLY {
			// string_parts: STR — the string must end here.
			if !p.expect(tQUOTE, tQUOTE) {
				return nil
			}
			return p.newString(text)
		}
		return p.parseStringParts(p.newString(text), p.lastPos())
	}
	return p.parseStringParts(nil, ast.Pos{})
}

// parseStringParts parses the rest of an interpolated string; first is
// its first part when that was a literal.
func (p *parser) parseStringParts(first ast.Expr, firstPos ast.Pos) ast.Expr {
	base, posBase := len(p.exprs), len(p.exprPos)
	if first != nil {
		p.exprs = append(p.exprs, first)
		p.exprPos = append(p.exprPos, firstPos)
	}
	for p.err == nil {
		t := p.cur()
		switch t.kind {
		case tSTR:
			p.exprs = append(p.exprs, p.newString(t.text))
			p.exprPos = append(p.exprPos, p.pos(*t))
			p.advance()
			continue
		case tDOLLARCURLY:
			pos := p.pos(*t)
			p.advance()
			e, ok := p.parseInterpolation(2)
			if !ok {
				return nil
			}
			p.exprs = append(p.exprs, e)
			p.exprPos = append(p.exprPos, pos)
			continue
		}
		break
	}
	if !p.expect(tQUOTE, tQUOTE) {
		return nil
	}
	if len(p.exprs) == base {
		return &ast.String{}
	}
	c := &ast.ConcatStrings{Pos: p.exprPos[posBase], ForceString: true, Parts: p.nodes.exprs.clone(p.exprs[base:]), PartPos: p.nodes.poss.clone(p.exprPos[posBase:])}
	p.popParts(base, posBase)
	return c
}

// popParts drops p.exprs[base:] and p.exprPos[posBase:].
func (p *parser) popParts(base, posBase int) {
	p.popExprs(base)
	p.exprPos = p.exprPos[:posBase]
}

// indPart is one element of an indented string before stripping: a
// literal (e == nil) or an interpolation.
type indPart struct {
	pos    ast.Pos
	e      ast.Expr
	s      string
	indent bool
}

// parseIndString parses ind_string_parts IND_STRING_CLOSE after the
// opening token open.
func (p *parser) parseIndString(open token) ast.Expr {
	base := len(p.ind)
	for p.err == nil {
		t := p.cur()
		switch t.kind {
		case tINDSTR:
			p.ind = append(p.ind, indPart{pos: p.pos(*t), s: t.text, indent: t.indent})
			p.advance()
			continue
		case tDOLLARCURLY:
			pos := p.pos(*t)
			p.advance()
			e, ok := p.parseInterpolation(3)
			if !ok {
				return nil
			}
			p.ind = append(p.ind, indPart{pos: pos, e: e})
			continue
		}
		break
	}
	if !p.expect(tINDCLOSE, tINDSTR, tDOLLARCURLY, tINDCLOSE) {
		return nil
	}
	e := p.stripIndentation(p.pos(open), p.ind[base:])
	p.ind = p.ind[:base]
	return e
}

// stripIndentation is parser.y's stripIndentation (spec §1.8): the
// minimum indentation is computed over indentation-bearing text only,
// but stripped from every literal, escapes included. Each literal stays
// a part of its own; their texts share one string.
func (p *parser) stripIndentation(pos ast.Pos, parts []indPart) ast.Expr {
	if len(parts) == 0 {
		return &ast.String{}
	}
	atStartOfLine := true
	minIndent := 1000000
	curIndent := 0
	for _, part := range parts {
		if part.e != nil || !part.indent {
			if atStartOfLine {
				atStartOfLine = false
				if curIndent < minIndent {
					minIndent = curIndent
				}
			}
			continue
		}
		s := part.s
		for j := 0; j < len(s); {
			if atStartOfLine {
				switch s[j] {
				case ' ':
					curIndent++
					j++
					continue
				case '\n':
					curIndent = 0
					j++
					continue
				}
				atStartOfLine = false
				if curIndent < minIndent {
					minIndent = curIndent
				}
			}
			// The rest of the line does not count.
			k := strings.IndexByte(s[j:], '\n')
			if k < 0 {
				break
			}
			j += k + 1
			atStartOfLine = true
			curIndent = 0
		}
	}

	// Strip into p.buf; ends[i] is where literal i ends there.
	buf := p.buf[:0]
	ends := p.ends[:0]
	atStartOfLine = true
	curDropped := 0
	for i, part := range parts {
		if part.e != nil {
			atStartOfLine = false
			curDropped = 0
			ends = append(ends, len(buf))
			continue
		}
		start := len(buf)
		s := part.s
		for j := 0; j < len(s); {
			if atStartOfLine {
				// Of a run of spaces, those before column minIndent go.
				k := j
				for k < len(s) && s[k] == ' ' {
					k++
				}
				drop := min(max(minIndent-curDropped, 0), k-j)
				buf = append(buf, s[j+drop:k]...)
				curDropped += k - j
				j = k
				if j == len(s) {
					break
				}
				if s[j] == '\n' {
					curDropped = 0
					buf = append(buf, '\n')
					j++
					continue
				}
				atStartOfLine = false
				curDropped = 0
			}
			k := strings.IndexByte(s[j:], '\n')
			if k < 0 {
				buf = append(buf, s[j:]...)
				break
			}
			buf = append(buf, s[j:j+k+1]...)
			j += k + 1
			atStartOfLine = true
		}
		if i == len(parts)-1 {
			// Remove the last line if it consists only of spaces.
			out := buf[start:]
			if k := bytes.LastIndexByte(out, '\n'); k >= 0 && len(bytes.Trim(out[k+1:], " ")) == 0 {
				buf = buf[:start+k+1]
			}
		}
		ends = append(ends, len(buf))
	}
	text := string(buf)
	p.buf, p.ends = buf, ends

	if len(parts) == 1 {
		if parts[0].e == nil {
			return p.newString(text)
		}
		if s, ok := parts[0].e.(*ast.String); ok {
			// ''${"s"}'' is the string itself.
			return s
		}
	}
	out := make([]ast.Expr, len(parts))
	outPos := make([]ast.Pos, len(parts))
	start := 0
	for i, part := range parts {
		outPos[i] = part.pos
		if part.e != nil {
			out[i] = part.e
			continue
		}
		out[i] = p.newString(text[start:ends[i]])
		start = ends[i]
	}
	return &ast.ConcatStrings{Pos: pos, ForceString: true, Parts: out, PartPos: outPos}
}

// parsePath parses path_start [string_parts_interpolated] PATH_END after
// the PATH or HPATH token t.
func (p *parser) parsePath(t token) ast.Expr {
	var val string
	if t.kind == tHPATH {
		val = p.opts.Home + t.text[1:]
	} else {
		val = absPath(t.text, p.opts.BaseDir)
		if len(t.text) > 1 && t.text[len(t.text)-1] == '/' {
			val += "/" // the first segment keeps its trailing slash
		}
	}
	path := &ast.Path{Val: val}
	if p.peekKind() == tPATHEND {
		p.advance()
		if p.opts.Paths != nil {
			*p.opts.Paths = append(*p.opts.Paths, val)
		}
		return path
	}
	parts := []ast.Expr{path}
	partPos := []ast.Pos{p.pos(t)}
	interpolated := false
	for p.err == nil {
		u := p.peek()
		switch u.kind {
		case tSTR:
			p.advance()
			if !interpolated {
				// string_parts_interpolated starts with `STR ${`.
				if v := p.peek(); v.kind != tDOLLARCURLY {
					p.syntaxError(v, tDOLLARCURLY)
					return nil
				}
			}
			parts = append(parts, p.newString(u.text))
			partPos = append(partPos, p.pos(u))
			continue
		case tDOLLARCURLY:
			p.advance()
			e, ok := p.parseInterpolation(2)
			if !ok {
				return nil
			}
			parts = append(parts, e)
			partPos = append(partPos, p.pos(u))
			interpolated = true
			continue
		case tPATHEND:
			p.advance()
			return &ast.ConcatStrings{Pos: p.pos(t), Parts: parts, PartPos: partPos}
		}
		p.syntaxError(u, tSTR, tPATHEND, tDOLLARCURLY)
	}
	return nil
}

// absPath makes path absolute against base and canonicalises it
// lexically, as Nix's absPath does (no symlinks are resolved).
func absPath(path, base string) string {
	if !strings.HasPrefix(path, "/") {
		path = base + "/" + path
	}
	return canonPath(path)
}

// canonPath is Nix's canonPath without symlink resolution: it drops
// empty and `.` components and resolves `..` lexically.
func canonPath(path string) string {
	var b []byte
	for len(path) > 0 {
		for len(path) > 0 && path[0] == '/' {
			path = path[1:]
		}
		if path == "" {
			break
		}
		switch {
		case path == "." || strings.HasPrefix(path, "./"):
			path = path[1:]
		case path == ".." || strings.HasPrefix(path, "../"):
			if i := strings.LastIndexByte(string(b), '/'); i >= 0 {
				b = b[:i]
			}
			path = path[2:]
		default:
			b = append(b, '/')
			i := strings.IndexByte(path, '/')
			if i < 0 {
				i = len(path)
			}
			b = append(b, path[:i]...)
			path = path[i:]
		}
	}
	if len(b) == 0 {
		return "/"
	}
	return string(b)
}

// parseInterpolation parses the rest of `${ expr }` after DOLLAR_CURLY.
// depth is how many parser-stack entries the context holds (Bison's
// stack limit is emulated, and it depends on the surrounding rule).
func (p *parser) parseInterpolation(depth int) (ast.Expr, bool) {
	if !p.enter(depth) {
		return nil, false
	}
	e := p.parseExpr()
	p.enter(1)
	if !p.expect(tRBRACE, tRBRACE) {
		return nil, false
	}
	p.leave(depth + 1)
	return e, true
}
