package eval

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
	"gonix/internal/lang/ast"
)

// The file and store builtins (spec §4.6 hashString, §4.7), in Nix 2.8's
// registration order in primops.cc. toPath, baseNameOf and dirOf are in
// builtins_strings.go.
var fileBuiltins = []builtinDef{
	{name: "storePath", arity: 1, fn: primStorePath},
	{name: "pathExists", arity: 1, fn: primPathExists},
	{name: "readFile", arity: 1, fn: primReadFile},
	{name: "hashFile", arity: 2, fn: primHashFile},
	{name: "readDir", arity: 1, fn: primReadDir},
	{name: "toFile", arity: 2, fn: primToFile},
	{name: "filterSource", arity: 2, fn: primFilterSource},
	{name: "path", arity: 1, fn: primPath},
	{name: "hashString", arity: 2, fn: primHashString},
}

// Optional store capabilities. The computing store has neither; then a
// store path counts as valid when it exists on disk, and has no
// references (as a path Nix cannot query).
type (
	pathValidator    interface{ IsValidPath(p string) bool }
	referenceQuerier interface {
		QueryReferences(storePath string) ([]string, error)
	}
)

// failNoPos raises an error without a position, as Nix does for the
// plain Error/SysError exceptions thrown by its file and store layer.
func failNoPos(format string, args ...any) {
	panic(&Error{Msg: fmt.Sprintf(format, args...)})
}

func (st *State) isValidStorePath(p string) bool {
	if v, ok := st.store.(pathValidator); ok {
		return v.IsValidPath(p)
	}
	var s syscall.Stat_t
	return syscall.Lstat(p, &s) == nil
}

// checkContextValid is Nix's EvalState::realiseContext for the builtins
// that read files: every store path in ctx must be valid. Building
// derivation outputs during evaluation (import from derivation) is not
// possible through EvalStore, so an output element of a valid .drv is
// refused.
func (st *State) checkContextValid(ctx Context) {
	realiser, canBuild := st.store.(interface{ Realise(ctx []string) error })
	if canBuild {
		// Import from derivation: build what the path depends on first.
		if err := realiser.Realise(ctx); err != nil {
			failNoPos("%s", err.Error())
		}
	}
	for _, e := range ctx {
		p := ctxPathOf(e)
		if _, err := storepath.Parse(st.store.StoreDir(), p); err != nil {
			failNoPos("%s", err.Error())
		}
		if !st.isValidStorePath(p) {
			failNoPos("path '%s' is not valid", p)
		}
		if e[0] == '!' && strings.HasSuffix(p, ".drv") && !canBuild {
			failNoPos("cannot build '%s' during evaluation: import from derivation is not supported by this store", p)
		}
	}
}

// realisePath is primops.cc's realisePath: coerce v to an absolute path
// (no copying) and make sure the store paths in its context are valid.
func (st *State) realisePath(pos ast.Pos, v *Value) string {
	var ctx contextBuilder
	var p string
	func() {
		defer st.traceGuard(len(st.traces), pos, "while realising the context of a path")
		p = st.coerceToPath(pos, v, &ctx)
	}()
	if c := ctx.result(); len(c) > 0 {
		defer st.traceGuard(len(st.traces), pos, "while realising the context of path '"+p+"'")
		st.checkContextValid(c)
		p = st.toRealPath(p)
	}
	return p
}

// toRealPath maps a path inside the store to where its file lives (they
// differ in a chroot store). Like Nix, the evaluator does this only for
// paths that carry a string context.
func (st *State) toRealPath(p string) string {
	if r, ok := st.store.(interface{ RealPath(string) string }); ok && st.store.IsInStore(p) {
		return r.RealPath(p)
	}
	return p
}

func primStorePath(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	p := st.coerceToPath(pos, args[0], &ctx)
	dir := st.store.StoreDir()
	// Symlinks are resolved unless p itself is a store path (which may be
	// a symlink directly in the store).
	if !storepath.IsStorePath(dir, p) {
		p = resolveSymlinks(p)
	}
	if !st.store.IsInStore(p) {
		st.fail(pos, "path '%s' is not in the Nix store", p)
	}
	ctx.addOne(toStorePath(dir, p))
	return StringValue(p, ctx.result())
}

// storePathPrefix is the part of p (inside the store directory dir) up
// to the first slash after dir.
func storePathPrefix(dir, p string) string {
	if len(p) <= len(dir)+1 {
		return p
	}
	if i := strings.IndexByte(p[len(dir)+1:], '/'); i >= 0 {
		return p[:len(dir)+1+i]
	}
	return p
}

// toStorePath is Nix's Store::toStorePath on a path inside the store: the
// prefix up to the first slash after the store directory, parsed (and so
// canonicalised) as a store path.
func toStorePath(dir, p string) string {
	parsed, err := storepath.Parse(dir, storePathPrefix(dir, p))
	if err != nil {
		failNoPos("%s", err.Error())
	}
	return parsed.String()
}

// resolveSymlinks is libutil's canonPath(path, true): a lexical
// canonicalisation that follows every symlink met on the way, failing on
// a component that does not exist.
func resolveSymlinks(path string) string {
	var s string
	follow := 0
	for {
		path = strings.TrimLeft(path, "/")
		if path == "" {
			break
		}
		switch {
		case path == "." || strings.HasPrefix(path, "./"):
			path = path[1:]
		case path == ".." || strings.HasPrefix(path, "../"):
			if i := strings.LastIndexByte(s, '/'); i >= 0 {
				s = s[:i]
			}
			path = path[2:]
		default:
			comp := path
			if i := strings.IndexByte(path, '/'); i >= 0 {
				comp, path = path[:i], path[i:]
			} else {
				path = ""
			}
			s += "/" + comp
			var sb syscall.Stat_t
			if err := syscall.Lstat(s, &sb); err != nil {
				failNoPos("getting status of '%s': %s", s, errnoText(err))
			}
			if sb.Mode&syscall.S_IFMT != syscall.S_IFLNK {
				continue
			}
			if follow++; follow >= 1024 {
				failNoPos("infinite symlink recursion in path '%s'", path)
			}
			target, err := os.Readlink(s)
			if err != nil {
				failNoPos("reading symbolic link '%s': %s", s, errnoText(err))
			}
			path = target + path
			if strings.HasPrefix(target, "/") {
				s = ""
			} else if s = dirOfString(s); s == "/" {
				s = ""
			}
		}
	}
	if s == "" {
		return "/"
	}
	return s
}

func primPathExists(st *State, pos ast.Pos, args []*Value) Value {
	p := st.realisePath(pos, args[0])
	// Nix's pathExists is lstat; any failure (ENOENT, ENOTDIR, EACCES…)
	// reads as false.
	var sb syscall.Stat_t
	return BoolValue(syscall.Lstat(p, &sb) == nil)
}

// readWholeFile reads a file with Nix's error texts.
func readWholeFile(p string) []byte {
	f, err := os.Open(p)
	if err != nil {
		failNoPos("opening file '%s': %s", p, errnoText(err))
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		failNoPos("reading from file: %s", errnoText(err))
	}
	return data
}

func primReadFile(st *State, pos ast.Pos, args []*Value) Value {
	p := st.realisePath(pos, args[0])
	data := readWholeFile(p)
	if strings.IndexByte(string(data), 0) >= 0 {
		failNoPos("the contents of the file '%s' cannot be represented as a Nix string", p)
	}
	// A file inside a store path carries that path's references (not the
	// path itself) as context.
	var ctx Context
	if st.store.IsInStore(p) {
		if q, ok := st.store.(referenceQuerier); ok {
			if sp, err := storepath.Parse(st.store.StoreDir(), storePathPrefix(st.store.StoreDir(), p)); err == nil {
				if refs, err := q.QueryReferences(sp.String()); err == nil {
					var cb contextBuilder
					cb.add(Context(refs))
					ctx = cb.result()
				}
			}
		}
	}
	return StringValue(string(data), ctx)
}

// parseHashAlgo is Nix's parseHashType: an unknown name is a usage error
// without position.
func (st *State) parseHashAlgo(v *Value, pos ast.Pos) hash.Algo {
	name := st.forceStringNoCtx(v, pos)
	a, err := hash.ParseAlgo(name)
	if err != nil {
		st.failKind(ErrUsage, ast.Pos{}, "unknown hash algorithm '%s'", name)
	}
	return a
}

func primHashFile(st *State, pos ast.Pos, args []*Value) Value {
	a := st.parseHashAlgo(args[0], pos)
	p := st.realisePath(pos, args[1])
	f, err := os.Open(p)
	if err != nil {
		failNoPos("opening file '%s': %s", p, errnoText(err))
	}
	defer f.Close()
	h := a.New()
	if _, err := io.Copy(h, f); err != nil {
		failNoPos("reading from file: %s", errnoText(err))
	}
	return StringValue(hash.Hash{Algo: a, Digest: h.Sum(nil)}.Base16(), nil)
}

func primHashString(st *State, pos ast.Pos, args []*Value) Value {
	a := st.parseHashAlgo(args[0], pos)
	s := st.forceString(args[1], pos) // context discarded
	return StringValue(hash.Sum(a, []byte(s.S)).Base16(), nil)
}

func primReadDir(st *State, pos ast.Pos, args []*Value) Value {
	p := st.realisePath(pos, args[0])
	f, err := os.Open(p)
	if err != nil {
		failNoPos("opening directory '%s': %s", p, errnoText(err))
	}
	defer f.Close()
	// Directory order, not sorted: names are interned in the order Nix
	// meets them.
	ents, err := f.ReadDir(-1)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			failNoPos("opening directory '%s': %s", p, errnoText(err))
		}
		failNoPos("reading directory '%s': %s", p, errnoText(err))
	}
	attrs := make([]Attr, 0, len(ents))
	for _, e := range ents {
		t := "unknown"
		switch m := e.Type(); {
		case m.IsRegular():
			t = "regular"
		case m.IsDir():
			t = "directory"
		case m&os.ModeSymlink != 0:
			t = "symlink"
		}
		attrs = append(attrs, st.attr(e.Name(), StringValue(t, nil)))
	}
	return mkAttrs(attrs)
}

func primToFile(st *State, pos ast.Pos, args []*Value) Value {
	name := st.forceStringNoCtx(args[0], pos)
	s := st.forceString(args[1], pos)
	var refs []string
	for _, c := range s.Ctx {
		if c[0] != '/' {
			st.fail(pos, "in 'toFile': the file named '%s' must not contain a reference to a derivation but contains (%s)", name, c)
		}
		if _, err := storepath.Parse(st.store.StoreDir(), c); err != nil {
			failNoPos("%s", err.Error())
		}
		refs = append(refs, c)
	}
	p, err := st.store.AddText(name, s.S, refs)
	if err != nil {
		failNoPos("%s", err.Error())
	}
	return StringValue(p, Context{p})
}

func primFilterSource(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	p := st.coerceToPath(pos, args[1], &ctx)
	st.force(args[0], pos)
	if !args[0].isFunction() {
		st.fail(pos, "first argument in call to 'filterSource' is not a function but %s", showType(args[0]))
	}
	return st.addPath(pos, baseNameOfString(p), p, args[0], true, nil, ctx.result())
}

func (st *State) attrPosOr(a *Attr, pos ast.Pos) ast.Pos {
	if a.Pos != 0 {
		return *st.attrPos(a.Pos)
	}
	return pos
}

func primPath(st *State, pos ast.Pos, args []*Value) Value {
	b := st.forceAttrs(args[0], pos)
	var (
		path, name string
		filter     *Value
		recursive  = true
		expected   *hash.Hash
		ctx        contextBuilder
	)
	// Bindings order (symbol order), as Nix iterates them: it decides
	// which bad attribute is reported.
	for i := range b.Attrs {
		a := &b.Attrs[i]
		apos := st.attrPosOr(a, pos)
		switch n := st.syms.Name(a.Name); n {
		case "path":
			path = st.coerceToPath(apos, a.Val, &ctx)
		case "name":
			name = st.forceStringNoCtx(a.Val, apos)
		case "filter":
			st.force(a.Val, pos)
			filter = a.Val
		case "recursive":
			recursive = st.forceBool(a.Val, apos)
		case "sha256":
			s := st.forceStringNoCtx(a.Val, apos)
			h, err := hash.ParseAllowEmpty(s, hash.SHA256)
			if err != nil {
				failNoPos("%s", err.Error())
			}
			if s == "" {
				writeWarning(st.stderr, "found empty hash, assuming '%s'", h.SRI())
			}
			expected = &h
		default:
			st.fail(apos, "unsupported argument '%s' to 'addPath'", n)
		}
	}
	if path == "" {
		st.fail(pos, "'path' required")
	}
	if name == "" {
		name = baseNameOfString(path)
	}
	return st.addPath(pos, name, path, filter, recursive, expected, ctx.result())
}

// addPath is primops.cc's addPath: add (or, with the computing store,
// only compute) path as name, filtered by the Nix function filterFn.
func (st *State) addPath(pos ast.Pos, name, path string, filterFn *Value, recursive bool, expected *hash.Hash, ctx Context) Value {
	defer st.traceGuard(len(st.traces), pos, "while adding path '"+path+"'")
	st.checkContextValid(ctx)
	var filter func(p, typ string) bool
	if filterFn != nil {
		filter = func(p, typ string) bool {
			r := st.callFunction(filterFn, []*Value{cell(StringValue(p, nil)), cell(StringValue(typ, nil))}, pos)
			return st.forceBool(&r, pos)
		}
	}
	var want string
	if expected != nil {
		p, err := storepath.MakeFixedOutputPath(st.store.StoreDir(), name, recursive, *expected, nil)
		if err != nil {
			failNoPos("%s", err.Error())
		}
		if st.isValidStorePath(p) {
			return StringValue(p, Context{p})
		}
		want = p
	}
	p, err := st.store.AddSourcePath(path, name, recursive, filter)
	if err != nil {
		failNoPos("%s", err.Error())
	}
	if expected != nil && p != want {
		failNoPos("store path mismatch in (possibly filtered) path added from '%s'", path)
	}
	return StringValue(p, Context{p})
}
