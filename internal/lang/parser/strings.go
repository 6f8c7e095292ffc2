package parser

import (
	"slices"
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
			return &ast.String{Val: text}
		}
		return p.parseStringParts(&ast.String{Val: text}, p.lastPos())
	}
	return p.parseStringParts(nil, ast.Pos{})
}

// parseStringParts parses the rest of an interpolated string; first is
// its first part when that was a literal.
func (p *parser) parseStringParts(first ast.Expr, firstPos ast.Pos) ast.Expr {
	base, posBase := len(p.exprs), len(p.exprPos)
	defer p.popParts(base, posBase)
	if first != nil {
		p.exprs = append(p.exprs, first)
		p.exprPos = append(p.exprPos, firstPos)
	}
	for p.err == nil {
		t := p.cur()
		switch t.kind {
		case tSTR:
			p.exprs = append(p.exprs, &ast.String{Val: t.text})
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
	return &ast.ConcatStrings{Pos: p.exprPos[posBase], ForceString: true, Parts: slices.Clone(p.exprs[base:]), PartPos: slices.Clone(p.exprPos[posBase:])}
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
	var parts []indPart
	for p.err == nil {
		t := p.peek()
		switch t.kind {
		case tINDSTR:
			p.advance()
			parts = append(parts, indPart{pos: p.pos(t), s: t.text, indent: t.indent})
			continue
		case tDOLLARCURLY:
			p.advance()
			e, ok := p.parseInterpolation(3)
			if !ok {
				return nil
			}
			parts = append(parts, indPart{pos: p.pos(t), e: e})
			continue
		}
		break
	}
	if !p.expect(tINDCLOSE, tINDSTR, tDOLLARCURLY, tINDCLOSE) {
		return nil
	}
	return stripIndentation(p.pos(open), parts)
}

// stripIndentation is parser.y's stripIndentation (spec §1.8): the
// minimum indentation is computed over indentation-bearing text only,
// but stripped from every literal, escapes included.
func stripIndentation(pos ast.Pos, parts []indPart) ast.Expr {
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
		for j := 0; j < len(part.s); j++ {
			c := part.s[j]
			if atStartOfLine {
				switch c {
				case ' ':
					curIndent++
				case '\n':
					curIndent = 0
				default:
					atStartOfLine = false
					if curIndent < minIndent {
						minIndent = curIndent
					}
				}
			} else if c == '\n' {
				atStartOfLine = true
				curIndent = 0
			}
		}
	}

	out := make([]ast.Expr, 0, len(parts))
	outPos := make([]ast.Pos, 0, len(parts))
	atStartOfLine = true
	curDropped := 0
	var b strings.Builder
	for i, part := range parts {
		if part.e != nil {
			atStartOfLine = false
			curDropped = 0
			out = append(out, part.e)
			outPos = append(outPos, part.pos)
			continue
		}
		b.Reset()
		for j := 0; j < len(part.s); j++ {
			c := part.s[j]
			if atStartOfLine {
				switch c {
				case ' ':
					if curDropped >= minIndent {
						b.WriteByte(c)
					}
					curDropped++
				case '\n':
					curDropped = 0
					b.WriteByte(c)
				default:
					atStartOfLine = false
					curDropped = 0
					b.WriteByte(c)
				}
			} else {
				b.WriteByte(c)
				if c == '\n' {
					atStartOfLine = true
				}
			}
		}
		s := b.String()
		if i == len(parts)-1 {
			// Remove the last line if it consists only of spaces.
			if k := strings.LastIndexByte(s, '\n'); k >= 0 && strings.Trim(s[k+1:], " ") == "" {
				s = s[:k+1]
			}
		}
		out = append(out, &ast.String{Val: s})
		outPos = append(outPos, part.pos)
	}
	if len(out) == 1 {
		if s, ok := out[0].(*ast.String); ok {
			return s
		}
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
			parts = append(parts, &ast.String{Val: u.text})
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
