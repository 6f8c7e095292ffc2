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
	resolved, fi, msg := resolveImport(path)
	if msg != "" {
		return nil, &Error{Msg: msg}
	}
	return st.parseResolved(resolved, fi)
}

// parseResolved parses a file whose path resolveImport already gave;
// fi, when not nil, is what lstat said of it (a regular file).
func (st *State) parseResolved(path string, fi os.FileInfo) (ast.Expr, error) {
	if e, ok := st.parseCache[path]; ok {
		return e, nil
	}
	if e, ok, err := st.takePrefetched(path, fi); ok {
		if err != nil {
			return nil, err
		}
		st.parseCache[path] = e
		return e, nil
	}
	text, err := readSource(path)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("opening file '%s': %s", path, errnoText(err))}
	}
	e, err := st.Parse(&ast.Source{Origin: ast.OriginFile, Path: path, Text: text}, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	st.parseCache[path] = e
	return e, nil
}

// resolveImport is Nix's resolveExprPath: symbolic links are followed
// (1023 at most), and a directory means its default.nix. fi is the last
// lstat when the result is that file itself; msg, when not empty, is
// Nix's error.
func resolveImport(path string) (resolved string, fi os.FileInfo, msg string) {
	for follow := 1; ; follow++ {
		if follow >= 1024 {
			return "", nil, fmt.Sprintf("too many symbolic links encountered while traversing the path '%s'", path)
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return "", nil, fmt.Sprintf("getting status of '%s': %s", path, errnoText(err))
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			t, err := os.Readlink(path)
			if err != nil {
				return "", nil, fmt.Sprintf("reading symbolic link '%s': %s", path, errnoText(err))
			}
			if !filepath.IsAbs(t) {
				t = filepath.Dir(path) + "/" + t
			}
			path = canonPath(t)
		case fi.IsDir():
			return canonPath(path + "/default.nix"), nil, ""
		default:
			return path, fi, ""
		}
	}
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
	resolved, fi, msg := resolveImport(path)
	if msg != "" {
		st.fail(ast.Pos{}, "%s", msg)
	}
	if v, ok := st.fileCache[resolved]; ok {
		return v
	}
	e, err := st.parseResolved(resolved, fi)
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
