package eval

import (
	"strconv"
	"strings"
	"unsafe"

	"gonix/internal/lang/ast"
	"gonix/internal/lang/cfloat"
)

// coerceToString is Nix's coerceToString (spec §3.9). Context elements
// are added to ctx (which may be nil to discard them).
func (st *State) coerceToString(pos ast.Pos, v *Value, ctx *contextBuilder, coerceMore, copyToStore bool) string {
	st.force(v, pos)
	switch v.kind {
	case KString:
		s := v.Str()
		if ctx != nil {
			ctx.add(s.Ctx)
		}
		return s.S
	case KPath:
		p := v.StrS()
		if needsCanon(p) {
			// ~/ paths are not canonicalised by the parser (Nix 2.8)
			p = canonPath(p)
		}
		if copyToStore {
			sp := st.copyPathToStore(p, pos)
			if ctx != nil {
				ctx.addOne(sp)
			}
			return sp
		}
		return p
	case KAttrs:
		b := v.Attrs()
		if f := b.Get(st.sToString); f != nil {
			r := st.callValue(f.Val, v, pos)
			return st.coerceToString(pos, &r, ctx, coerceMore, copyToStore)
		}
		if o := b.Get(st.sOutPath); o != nil {
			return st.coerceToString(pos, o.Val, ctx, coerceMore, copyToStore)
		}
	}
	if coerceMore {
		switch v.kind {
		case KBool:
			if v.n != 0 {
				return "1"
			}
			return ""
		case KInt:
			return strconv.FormatInt(v.n, 10)
		case KFloat:
			return cfloat.FormatF(v.Float())
		case KNull:
			return ""
		case KList:
			elems := v.Elems()
			var b strings.Builder
			for i, e := range elems {
				b.WriteString(st.coerceToString(pos, e, ctx, coerceMore, copyToStore))
				if i < len(elems)-1 {
					st.force(e, pos)
					if !(e.kind == KList && len(e.Elems()) == 0) {
						b.WriteByte(' ')
					}
				}
			}
			return b.String()
		}
	}
	st.fail(pos, "cannot coerce %s to a string", showType(v))
	return ""
}

// coerceToPath coerces v to an absolute path string (no copying).
func (st *State) coerceToPath(pos ast.Pos, v *Value, ctx *contextBuilder) string {
	s := st.coerceToString(pos, v, ctx, false, false)
	if s == "" || s[0] != '/' {
		st.fail(pos, "string '%s' doesn't represent an absolute path", s)
	}
	return s
}

// copyPathToStore adds a source path to the store (or, with the
// computing store, only computes its path) — Nix's copyPathToStore.
func (st *State) copyPathToStore(p string, pos ast.Pos) string {
	// Nix 2.8 copies every path, even one inside the store (a channel's
	// files under /nix/store/…-nixpkgs/): the result is a store path of
	// its own, the only kind a derivation may reference.
	if sp, ok := st.srcToStore[p]; ok {
		return sp
	}
	sp, err := st.store.AddSourcePath(p, baseName(p), true, nil)
	if err != nil {
		st.fail(pos, "%s", err.Error())
	}
	st.srcToStore[p] = sp
	return sp
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// needsCanon reports whether canonPath would change p.
func needsCanon(p string) bool {
	if len(p) > 1 && p[len(p)-1] == '/' {
		return true
	}
	return strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
		strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")
}

// canonPath canonicalises a path lexically: removes ".", "..", duplicate
// and trailing slashes (Nix's canonPath without symlink resolution).
func canonPath(p string) string {
	if p == "" || p[0] != '/' {
		// Nix requires absolute paths here; keep relative ones untouched
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	i := 0
	for i < len(p) {
		for i < len(p) && p[i] == '/' {
			i++
		}
		if i >= len(p) {
			break
		}
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg := p[i:j]
		i = j
		switch seg {
		case ".":
		case "..":
			s := b.String()
			if k := strings.LastIndexByte(s, '/'); k >= 0 {
				b.Reset()
				b.WriteString(s[:k])
			}
		default:
			b.WriteByte('/')
			b.WriteString(seg)
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

func (st *State) evalConcat(env *Env, e *ast.ConcatStrings) Value {
	// Fast path for `a + b` on integers, the common arithmetic case.
	var pre [2]Value
	npre := 0
	if !e.ForceString && len(e.Parts) == 2 {
		pre[0] = st.eval(env, e.Parts[0])
		npre = 1
		if pre[0].kind == KInt {
			pre[1] = st.eval(env, e.Parts[1])
			npre = 2
			if pre[1].kind == KInt {
				return IntValue(pre[0].n + pre[1].n)
			}
		}
	}
	return st.evalConcatFrom(env, e, &pre, npre)
}

// evalConcatFrom is evalConcat once the first npre parts have been
// evaluated into pre.
func (st *State) evalConcatFrom(env *Env, e *ast.ConcatStrings, pre *[2]Value, npre int) Value {
	first := !e.ForceString
	firstKind := KString
	var n int64
	var nf float64
	var ctx contextBuilder
	// the strings are collected and joined once at the end, so the
	// result is one allocation of its exact size
	var small [8]string
	strs := small[:0]
	total := 0
	var head *Str // the first part, when a string
	for i, part := range e.Parts {
		ppos := e.Pos
		if i < len(e.PartPos) {
			ppos = e.PartPos[i]
		}
		var v Value
		if i < npre {
			v = pre[i]
		} else {
			v = st.eval(env, part)
		}
		if first {
			firstKind = v.kind
		}
		switch firstKind {
		case KInt:
			switch v.kind {
			case KInt:
				n += v.n
			case KFloat:
				firstKind = KFloat
				nf = float64(n) + v.Float()
			default:
				st.fail(ppos, "cannot add %s to an integer", showType(&v))
			}
		case KFloat:
			switch v.kind {
			case KInt:
				nf += float64(v.n)
			case KFloat:
				nf += v.Float()
			default:
				st.fail(ppos, "cannot add %s to a float", showType(&v))
			}
		default:
			var str string
			if v.kind == KString {
				// (inline, so that v is not moved to the heap for the
				// common case)
				sv := (*Str)(v.p)
				ctx.add(sv.Ctx)
				str = sv.S
				if i == 0 {
					head = sv
				}
			} else if i == 0 && firstKind == KPath && v.kind == KPath {
				// the prefix of an interpolated path keeps its trailing
				// slash: Nix does not canonicalise the first part
				str = v.StrS()
			} else {
				str = st.coerceToString(ppos, cell(v), &ctx, false, firstKind == KString)
			}
			strs = append(strs, str)
			total += len(str)
		}
		first = false
	}
	switch firstKind {
	case KInt:
		return IntValue(n)
	case KFloat:
		return FloatValue(nf)
	}
	if head != nil && head.concat && len(strs) == 2 && firstKind == KString {
		if v, ok := accumulate(head, strs[1], &ctx); ok {
			return v
		}
	}
	var sb strings.Builder
	sb.Grow(total)
	for _, str := range strs {
		sb.WriteString(str)
	}
	switch firstKind {
	case KPath:
		if len(ctx.result()) > 0 {
			st.fail(e.Pos, "a string that refers to a store path cannot be appended to a path")
		}
		return PathValue(canonPath(sb.String()))
	}
	return strValue(&Str{S: sb.String(), Ctx: ctx.result(), concat: true})
}

// accumulate is `acc + s` (or "${acc}${s}") for a string acc that was
// itself made by concatenation: the commonest way to build a long
// string piece by piece (foldl' over chunks), quadratic in copying
// when every step copies the accumulator. The result gets a buffer with
// room to grow, and the next step onto it appends in place (see accStr).
// ok is false for short strings, which are copied as before.
func accumulate(acc *Str, s string, ctx *contextBuilder) (Value, bool) {
	n := len(acc.S) + len(s)
	var b *strBuf
	if acc.accumulated {
		b = (*accStr)(unsafe.Pointer(acc)).buf
		if len(acc.S) != len(b.b) || cap(b.b)-len(b.b) < len(s) {
			b = nil // not the longest string in its buffer, or no room
		}
	} else if n < 1024 {
		return Value{}, false
	}
	if b == nil {
		b = &strBuf{b: make([]byte, 0, 2*n)}
		b.b = append(b.b, acc.S...)
	}
	b.b = append(b.b, s...)
	a := &accStr{Str: Str{S: unsafe.String(unsafe.SliceData(b.b), n), Ctx: ctx.result(), concat: true, accumulated: true}, buf: b}
	return strValue(&a.Str), true
}
