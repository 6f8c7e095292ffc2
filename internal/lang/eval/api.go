package eval

import (
	"fmt"
	"os"
	"path/filepath"

	"gonix/internal/lang/ast"
	"gonix/internal/lang/parser"
	"gonix/internal/lang/resolve"
)

// Parse parses and resolves text from src in the base environment.
func (st *State) Parse(src *ast.Source, baseDir string) (ast.Expr, error) {
	return st.parseIn(src, baseDir, st.baseScope)
}

func (st *State) parseIn(src *ast.Source, baseDir string, scope *resolve.Scope) (ast.Expr, error) {
	if st.parseArena == nil {
		st.parseArena = new(parser.Arena)
	}
	opts := parser.Options{BaseDir: baseDir, Home: st.home(), Arena: st.parseArena}
	var paths []string
	if st.prefetch != nil {
		opts.Paths = &paths
	}
	e, err := parser.Parse(src, st.syms, opts)
	if err != nil {
		if pe, ok := err.(*parser.Error); ok {
			return nil, &Error{Kind: ErrParse, Msg: pe.Msg, Pos: pe.Pos}
		}
		return nil, err
	}
	if err := st.resolve(e, scope); err != nil {
		return nil, err
	}
	if st.prefetch != nil {
		st.prefetch.enqueue(paths)
	}
	return e, nil
}

// resolve resolves a parsed tree in scope.
func (st *State) resolve(e ast.Expr, scope *resolve.Scope) error {
	if err := resolve.Resolve(e, scope, st.syms); err != nil {
		if re, ok := err.(*resolve.Error); ok {
			return &Error{Kind: ErrUndefined, Msg: re.Error(), Pos: re.Pos}
		}
		return err
	}
	return nil
}

func (st *State) home() string {
	if st.opts.Home != "" {
		return st.opts.Home
	}
	h, _ := st.opts.Getenv("HOME")
	return h
}

// ParseString parses an expression given on the command line (-E) or on
// stdin, relative to baseDir.
func (st *State) ParseString(text, baseDir string, origin ast.Origin) (ast.Expr, error) {
	return st.Parse(&ast.Source{Origin: origin, Text: text}, baseDir)
}

// ParseFile parses a file (a directory means its default.nix).
func (st *State) ParseFile(path string) (ast.Expr, error) {
	if _, err := os.Lstat(path); err != nil {
		// Nix's resolveExprPath stats the path first
		return nil, &Error{Msg: fmt.Sprintf("getting status of '%s': %s", path, errnoText(err))}
	}
	return st.parseResolved(resolveExprPath(path))
}

// parseResolved parses a file whose path resolveExprPath already gave.
func (st *State) parseResolved(path string) (ast.Expr, error) {
	if e, ok := st.parseCache[path]; ok {
		return e, nil
	}
	if e, ok, err := st.takePrefetched(path); ok {
		if err != nil {
			return nil, err
		}
		st.parseCache[path] = e
		return e, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("opening file '%s': %s", path, errnoText(err))}
	}
	e, err := st.Parse(&ast.Source{Origin: ast.OriginFile, Path: path, Text: string(data)}, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	st.parseCache[path] = e
	return e, nil
}

// resolveExprPath follows Nix's resolveExprPath: a directory means its
// default.nix (symlinks are followed first).
func resolveExprPath(path string) string {
	for i := 0; i < 100; i++ {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			break
		}
		t, err := os.Readlink(path)
		if err != nil {
			break
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(path), t)
		}
		path = canonPath(t)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = canonPath(path + "/default.nix")
	}
	return path
}

// Eval evaluates a parsed expression to weak head normal form.
func (st *State) Eval(e ast.Expr) (v *Value, err error) {
	v = &Value{}
	err = st.protect(func() {
		st.depth = 0
		*v = st.eval(st.baseEnv, e)
	})
	return v, err
}

func errnoText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	s := err.Error()
	if s != "" {
		// strerror capitalises the first letter
		b := []byte(s)
		if b[0] >= 'a' && b[0] <= 'z' {
			b[0] -= 'a' - 'A'
		}
		return string(b)
	}
	return s
}

func (st *State) importFile(path string, pos ast.Pos) *Value {
	if v, ok := st.fileCache[path]; ok {
		return v
	}
	if path == "/__corepkgs__/fetchurl.nix" {
		v := st.newThunk(st.corelibExpr("fetchurl.nix"), st.baseEnv)
		st.force(v, pos)
		st.fileCache[path] = v
		return v
	}
	if name, ok := gonixEmbedded(path); ok {
		return st.importGonix(path, name, pos)
	}
	if _, err := os.Stat(path); err != nil {
		st.fail(ast.Pos{}, "getting status of '%s': %s", path, errnoText(err))
	}
	resolved := resolveExprPath(path)
	if v, ok := st.fileCache[resolved]; ok {
		return v
	}
	e, err := st.parseResolved(resolved)
	if err != nil {
		panic(err.(*Error))
	}
	// As in Nix, the file's value enters the cache only once evaluated: an
	// import cycle recurses until it overflows ("stack overflow"). Imports
	// nest far less deeply than calls, and each level unwinds through a
	// trace handler, so they get a limit of their own.
	st.importDepth++
	defer func() { st.importDepth-- }()
	if st.importDepth > maxImportDepth {
		throwErr(&Error{Kind: ErrStack, Msg: "stack overflow (possible infinite recursion)"})
	}
	v := st.newThunk(e, st.baseEnv)
	st.pushTrace(traceFrame{msg: "while evaluating the file '" + resolved + "':"})
	st.force(v, pos)
	st.popTrace()
	st.fileCache[path] = v
	st.fileCache[resolved] = v
	return v
}

// maxImportDepth bounds nested imports (see importFile).
const maxImportDepth = 1000

// posValue is { file; line; column; } for __curPos / unsafeGetAttrPos.
func (st *State) posValue(p ast.Pos) Value {
	if !p.IsValid() {
		return NullValue()
	}
	return mkAttrs([]Attr{
		{Name: st.sFile, Val: cell(StringValue(p.PosFile(), nil))},
		{Name: st.sLine, Val: cell(IntValue(int64(p.Line)))},
		{Name: st.sColumn, Val: cell(IntValue(int64(p.Col)))},
	})
}

func (st *State) nixPathValue() Value {
	elems := make([]*Value, 0, len(st.opts.SearchPath))
	for _, e := range st.opts.SearchPath {
		elems = append(elems, cell(mkAttrs([]Attr{
			{Name: st.syms.Intern("path"), Val: cell(StringValue(e.Path, nil))},
			{Name: st.syms.Intern("prefix"), Val: cell(StringValue(e.Prefix, nil))},
		})))
	}
	return ListValue(elems)
}
