package eval

import (
	"strings"

	"gonix/internal/lang/ast"
)

// String, version and path-name builtins (spec §4.6, §4.7), in Nix 2.8's
// registration order.
var stringBuiltins = []builtinDef{
	{name: "toPath", arity: 1, fn: primToPath},
	{name: "baseNameOf", arity: 1, topLevel: true, fn: primBaseNameOf},
	{name: "dirOf", arity: 1, topLevel: true, fn: primDirOf},
	{name: "toString", arity: 1, topLevel: true, fn: primToString},
	{name: "substring", arity: 3, fn: primSubstring},
	{name: "stringLength", arity: 1, fn: primStringLength},
	{name: "concatStringsSep", arity: 2, fn: primConcatStringsSep},
	{name: "replaceStrings", arity: 3, fn: primReplaceStrings},
	{name: "parseDrvName", arity: 1, fn: primParseDrvName},
	{name: "compareVersions", arity: 2, fn: primCompareVersions},
	{name: "splitVersion", arity: 1, fn: primSplitVersion},
}

// primToPath returns a string (not a path), canonicalised.
func primToPath(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	p := st.coerceToPath(pos, args[0], &ctx)
	return StringValue(canonPath(p), ctx.result())
}

// baseNameOfString is Nix's baseNameOf: one trailing slash is ignored.
func baseNameOfString(p string) string {
	if p == "" {
		return ""
	}
	last := len(p) - 1
	if p[last] == '/' && last > 0 {
		last--
	}
	i := strings.LastIndexByte(p[:last+1], '/')
	return p[i+1 : last+1]
}

// dirOfString is Nix's dirOf (no trailing-slash handling).
func dirOfString(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return p[:i]
}

func primBaseNameOf(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	s := st.coerceToString(pos, args[0], &ctx, false, false)
	return StringValue(baseNameOfString(s), ctx.result())
}

// primDirOf keeps the path type of a path argument.
func primDirOf(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	s := st.coerceToString(pos, args[0], &ctx, false, false)
	d := dirOfString(s)
	if args[0].kind == KPath {
		return PathValue(d)
	}
	return StringValue(d, ctx.result())
}

func primToString(st *State, pos ast.Pos, args []*Value) Value {
	if args[0].kind == KString {
		return *args[0]
	}
	var ctx contextBuilder
	s := st.coerceToString(pos, args[0], &ctx, true, false)
	return StringValue(s, ctx.result())
}

// primSubstring truncates start and len to C ints; a negative len means
// "to the end" (it becomes a huge size_t in Nix).
func primSubstring(st *State, pos ast.Pos, args []*Value) Value {
	start := int32(st.forceInt(args[0], pos))
	n := int32(st.forceInt(args[1], pos))
	var ctx contextBuilder
	s := st.coerceToString(pos, args[2], &ctx, false, true)
	if start < 0 {
		st.fail(pos, "negative start position in 'substring'")
	}
	if int(start) >= len(s) {
		return StringValue("", ctx.result())
	}
	end := len(s)
	if n >= 0 && int(start)+int(n) < end {
		end = int(start) + int(n)
	}
	return StringValue(s[start:end], ctx.result())
}

func primStringLength(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	s := st.coerceToString(pos, args[0], &ctx, false, true)
	return IntValue(int64(len(s)))
}

func primConcatStringsSep(st *State, pos ast.Pos, args []*Value) Value {
	sep := st.forceString(args[0], pos)
	elems := st.forceList(args[1], pos)
	var ctx contextBuilder
	ctx.add(sep.Ctx)
	var b strings.Builder
	b.Grow((len(elems) + 32) * len(sep.S))
	for i, e := range elems {
		if i > 0 {
			b.WriteString(sep.S)
		}
		if e.kind == KString {
			s := e.Str()
			ctx.add(s.Ctx)
			b.WriteString(s.S)
			continue
		}
		b.WriteString(st.coerceToString(pos, e, &ctx, false, true))
	}
	return StringValue(b.String(), ctx.result())
}

// primReplaceStrings scans left to right; at each position the first
// pattern (in list order) that matches wins; an empty pattern matches
// everywhere, including at the end, and the current byte is then copied.
// A replacement's context is added once, when first used.
func primReplaceStrings(st *State, pos ast.Pos, args []*Value) Value {
	fromL := st.forceList(args[0], pos)
	toL := st.forceList(args[1], pos)
	if len(fromL) != len(toL) {
		st.fail(pos, "'from' and 'to' arguments to 'replaceStrings' have different lengths")
	}
	from := make([]string, len(fromL))
	for i, e := range fromL {
		from[i] = st.forceString(e, pos).S
	}
	to := make([]*Str, len(toL))
	for i, e := range toL {
		to[i] = st.forceString(e, pos)
	}
	subj := st.forceString(args[2], pos)
	s := subj.S
	var ctx contextBuilder
	ctx.add(subj.Ctx)
	used := make([]bool, len(to))

	// first[c]: some pattern starts with byte c; hasEmpty: some pattern is
	// empty (then every position is a candidate).
	var first [256]bool
	hasEmpty := false
	for _, f := range from {
		if f == "" {
			hasEmpty = true
		} else {
			first[f[0]] = true
		}
	}
	if len(from) == 0 || (!hasEmpty && len(s) == 0) {
		return StringValue(s, ctx.result())
	}
	var b strings.Builder
	copied := 0 // s[copied:p] is pending, to be copied verbatim
	for p := 0; p <= len(s); {
		if !hasEmpty {
			for p < len(s) && !first[s[p]] {
				p++
			}
			if p >= len(s) {
				break
			}
		}
		k := -1
		for i, f := range from {
			if strings.HasPrefix(s[p:], f) {
				k = i
				break
			}
		}
		if k < 0 {
			p++
			continue
		}
		if b.Len() == 0 && copied == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[copied:p])
		b.WriteString(to[k].S)
		if !used[k] {
			used[k] = true
			ctx.add(to[k].Ctx)
		}
		if from[k] == "" {
			if p < len(s) {
				b.WriteByte(s[p])
			}
			p++
		} else {
			p += len(from[k])
		}
		copied = min(p, len(s))
	}
	if copied == 0 && b.Len() == 0 {
		return StringValue(s, ctx.result())
	}
	b.WriteString(s[copied:])
	return StringValue(b.String(), ctx.result())
}

func isASCIIAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseDrvName splits at the first dash followed by a non-letter.
func parseDrvName(s string) (name, version string) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '-' && !isASCIIAlpha(s[i+1]) {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func primParseDrvName(st *State, pos ast.Pos, args []*Value) Value {
	name, version := parseDrvName(st.forceStringNoCtx(args[0], pos))
	return mkAttrs([]Attr{
		{Name: st.sName, Val: cell(StringValue(name, nil))},
		{Name: st.syms.Intern("version"), Val: cell(StringValue(version, nil))},
	})
}

// nextComponent is Nix's nextComponent: skip `.`/`-`, then a run of
// digits or a run of non-digit non-separators. It returns the component
// and the rest of the string.
func nextComponent(s string) (string, string) {
	i := 0
	for i < len(s) && (s[i] == '.' || s[i] == '-') {
		i++
	}
	if i == len(s) {
		return "", ""
	}
	j := i
	if isASCIIDigit(s[j]) {
		for j < len(s) && isASCIIDigit(s[j]) {
			j++
		}
	} else {
		for j < len(s) && !isASCIIDigit(s[j]) && s[j] != '.' && s[j] != '-' {
			j++
		}
	}
	return s[i:j], s[j:]
}

// componentInt is string2Int<int> on a component (digits only here): it
// fails on empty input and on values that do not fit a C int.
func componentInt(c string) (int64, bool) {
	if c == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(c); i++ {
		if !isASCIIDigit(c[i]) {
			return 0, false
		}
		n = n*10 + int64(c[i]-'0')
		if n > 2147483647 {
			return 0, false
		}
	}
	return n, true
}

func componentsLT(c1, c2 string) bool {
	n1, ok1 := componentInt(c1)
	n2, ok2 := componentInt(c2)
	switch {
	case ok1 && ok2:
		return n1 < n2
	case c1 == "" && ok2:
		return true
	case c1 == "pre" && c2 != "pre":
		return true
	case c2 == "pre":
		return false
	case ok2:
		return true
	case ok1:
		return false
	}
	return c1 < c2
}

// CompareVersions is Nix's compareVersions (-1, 0, 1), as
// builtins.compareVersions and nix-env use it.
func CompareVersions(v1, v2 string) int { return compareVersions(v1, v2) }

// compareVersions is Nix's compareVersions (-1, 0, 1).
func compareVersions(v1, v2 string) int {
	for v1 != "" || v2 != "" {
		var c1, c2 string
		c1, v1 = nextComponent(v1)
		c2, v2 = nextComponent(v2)
		if componentsLT(c1, c2) {
			return -1
		}
		if componentsLT(c2, c1) {
			return 1
		}
	}
	return 0
}

func primCompareVersions(st *State, pos ast.Pos, args []*Value) Value {
	a := st.forceStringNoCtx(args[0], pos)
	b := st.forceStringNoCtx(args[1], pos)
	return IntValue(int64(compareVersions(a, b)))
}

func primSplitVersion(st *State, pos ast.Pos, args []*Value) Value {
	s := st.forceStringNoCtx(args[0], pos)
	var comps []string
	for s != "" {
		var c string
		c, s = nextComponent(s)
		if c == "" {
			break
		}
		comps = append(comps, c)
	}
	return ListValue(stringCells(comps))
}
