package eval

import (
	"os"
	"path/filepath"
	"strings"

	"gonix/corelib"
	"gonix/internal/lang/ast"
	"gonix/internal/lang/resolve"
)

var coreBuiltins = []builtinDef{
	{name: "import", arity: 1, topLevel: true, fn: primImport},
	{name: "scopedImport", arity: 2, topLevel: true, fn: primScopedImport},
	{name: "findFile", arity: 2, fn: primFindFile},
	{name: "derivationStrict", arity: 1, topLevel: true, fn: primDerivationStrict},
}

// corelibExpr parses an embedded corelib file in the base environment.
func (st *State) corelibExpr(name string) ast.Expr {
	data, err := corelib.FS.ReadFile(name)
	if err != nil {
		st.fail(ast.Pos{}, "corelib: %s", err)
	}
	path := "/__corepkgs__/" + name
	if name == "derivation.nix" {
		path = "//builtin/derivation.nix"
	}
	src := &ast.Source{Origin: ast.OriginNone, Path: path, Text: string(data)}
	e, err := st.Parse(src, "/__corepkgs__")
	if err != nil {
		panic(err)
	}
	return e
}

func (st *State) initDerivation() {
	e := st.corelibExpr("derivation.nix")
	st.derivationSrc = e.Position().Src
	*st.derivationFn = thunkValue(exprOf(e), st.baseEnv)
}

func primImport(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	p := st.coerceToPath(pos, args[0], &ctx)
	st.realiseContext(ctx.result(), pos)
	if len(ctx.result()) > 0 {
		p = st.toRealPath(p)
	}
	return *st.importFile(p, pos)
}

func primScopedImport(st *State, pos ast.Pos, args []*Value) Value {
	scope := st.forceAttrs(args[0], pos)
	var ctx contextBuilder
	p := st.coerceToPath(pos, args[1], &ctx)
	st.realiseContext(ctx.result(), pos)
	if len(ctx.result()) > 0 {
		p = st.toRealPath(p)
	}
	// (as import's, these errors carry no position in Nix 2.8)
	p, _, msg := resolveImport(p)
	if msg != "" {
		st.fail(ast.Pos{}, "%s", msg)
	}
	text, err := readSource(p)
	if err != nil {
		st.fail(ast.Pos{}, "opening file '%s': %s", p, errnoText(err))
	}
	names := make([]ast.Symbol, len(scope.Attrs))
	env := newEnv(st.baseEnv, len(scope.Attrs))
	for i, a := range scope.Attrs {
		names[i] = a.Name
		env.set(i, a.Val)
	}
	sc := resolve.NewScope(st.baseScope, names)
	e, perr := st.parseIn(&ast.Source{Origin: ast.OriginFile, Path: p, Text: text}, filepath.Dir(p), sc)
	if perr != nil {
		panic(perr.(*Error))
	}
	return st.eval(env, e)
}

// realiseContext would build the derivations a path depends on (import
// from derivation); with the computing store there is nothing to build.
func (st *State) realiseContext(ctx Context, pos ast.Pos) {
	if r, ok := st.store.(interface {
		Realise(paths []string) error
	}); ok && len(ctx) > 0 {
		if err := r.Realise(ctx); err != nil {
			st.fail(pos, "%s", err)
		}
	}
}

func primFindFile(st *State, pos ast.Pos, args []*Value) Value {
	list := st.forceList(args[0], pos)
	var entries []SearchPathEntry
	for _, e := range list {
		b := st.forceAttrs(e, pos)
		prefix := ""
		if a := b.Get(st.sPrefix); a != nil {
			prefix = st.forceStringNoCtx(a.Val, pos)
		}
		a := b.Get(st.sPath)
		if a == nil {
			st.fail(pos, "attribute 'path' missing for call to 'findFile'")
		}
		var ctx contextBuilder
		path := st.coerceToString(pos, a.Val, &ctx, false, false)
		st.realiseContext(ctx.result(), pos)
		entries = append(entries, SearchPathEntry{Prefix: prefix, Path: path})
	}
	name := st.forceStringNoCtx(args[1], pos)
	return PathValue(st.findFile(entries, name, pos))
}

// findFile looks name up in the search path (spec §3.15).
func (st *State) findFile(entries []SearchPathEntry, name string, pos ast.Pos) string {
	for _, e := range entries {
		var cand string
		if e.Prefix == "" {
			cand = e.Path + "/" + name
		} else if name == e.Prefix || strings.HasPrefix(name, e.Prefix+"/") {
			cand = e.Path + name[len(e.Prefix):]
		} else {
			continue
		}
		if _, err := os.Stat(e.Path); err != nil {
			st.warn("Nix search path entry '%s' does not exist, ignoring", e.Path)
			continue
		}
		if !filepath.IsAbs(cand) {
			if wd, err := os.Getwd(); err == nil {
				cand = filepath.Join(wd, cand)
			}
		}
		cand = canonPath(cand)
		if _, err := os.Stat(cand); err == nil {
			return cand
		}
	}
	if strings.HasPrefix(name, "nix/") {
		return "/__corepkgs__/" + name[4:]
	}
	if p, ok := gonixFallback(name); ok {
		return p
	}
	if st.opts.Fallback != nil {
		if p, ok := st.opts.Fallback(name); ok {
			return p
		}
	}
	// Nix 2.8 raises a ThrownError here, so tryEval catches it.
	st.failKind(ErrThrow, pos, "file '%s' was not found in the Nix search path (add it using $NIX_PATH or -I)", name)
	return ""
}

func (st *State) warn(format string, args ...any) {
	writeWarning(st.stderr, format, args...)
}

func primDerivationStrict(st *State, pos ast.Pos, args []*Value) Value {
	return st.derivationStrict(pos, args[0])
}
