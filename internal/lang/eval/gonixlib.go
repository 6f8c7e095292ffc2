package eval

import (
	"io/fs"
	"path"
	"strings"

	"gonix/corelib"
	"gonix/internal/lang/ast"
)

// gonixRoot is where the embedded corelib appears in the path space: the
// search-path entry `gonix` falls back to it, so <gonix/lib> is
// /__gonix__/lib and an error in the shipped lib reads
// "/__gonix__/lib/lists.nix:12:5". Like Nix's /__corepkgs__, the prefix
// cannot clash with a real file a user would write; a user's
// `-I gonix=DIR` or NIX_PATH entry is looked up first (docs/lib.md).
const gonixRoot = "/__gonix__"

// IsEmbeddedPath reports whether p names a file of the embedded corelib
// (its text is in the parsed source, not on disk).
func IsEmbeddedPath(p string) bool {
	return strings.HasPrefix(p, gonixRoot+"/")
}

// gonixFallback gives the built-in location of a search-path name under
// the `gonix` prefix, if the embedded corelib holds it.
func gonixFallback(name string) (string, bool) {
	if name != "gonix" && !strings.HasPrefix(name, "gonix/") {
		return "", false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(name, "gonix"), "/")
	if rel == "" {
		return gonixRoot, true
	}
	rel = path.Clean(rel)
	if !fs.ValidPath(rel) {
		return "", false
	}
	if _, err := fs.Stat(corelib.FS, rel); err != nil {
		return "", false
	}
	return gonixRoot + "/" + rel, true
}

// gonixEmbedded maps a /__gonix__ path to the embedded file it imports
// (a directory means its default.nix).
func gonixEmbedded(p string) (name string, ok bool) {
	if p != gonixRoot && !strings.HasPrefix(p, gonixRoot+"/") {
		return "", false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, gonixRoot), "/")
	if rel == "" {
		rel = "."
	}
	rel = path.Clean(rel)
	if !fs.ValidPath(rel) {
		return "", false
	}
	if fi, err := fs.Stat(corelib.FS, rel); err == nil && fi.IsDir() {
		rel = path.Join(rel, "default.nix")
	}
	return rel, true
}

// importGonix imports a file of the embedded corelib by its /__gonix__
// path; relative paths inside it stay under /__gonix__.
func (st *State) importGonix(p, name string, pos ast.Pos) *Value {
	resolved := gonixRoot + "/" + name
	if v, ok := st.fileCache[resolved]; ok {
		st.fileCache[p] = v
		return v
	}
	if name == nativeName {
		v := st.nativeLib()
		st.fileCache[p] = v
		st.fileCache[resolved] = v
		return v
	}
	e, ok := st.parseCache[resolved]
	if !ok {
		var perr error
		if e, ok, perr = st.takePrefetched(resolved, nil); perr != nil {
			panic(perr.(*Error))
		}
	}
	if !ok {
		data, err := corelib.FS.ReadFile(name)
		if err != nil {
			st.fail(pos, "opening file '%s': No such file or directory", resolved)
		}
		var perr error
		e, perr = st.Parse(&ast.Source{Origin: ast.OriginFile, Path: resolved, Text: string(data)}, path.Dir(resolved))
		if perr != nil {
			panic(perr.(*Error))
		}
		st.parseCache[resolved] = e
	}
	v := st.newThunk(e, st.baseEnv)
	st.pushTrace(traceFrame{msg: "while evaluating the file '" + resolved + "':"})
	st.force(v, pos)
	st.popTrace()
	st.fileCache[p] = v
	st.fileCache[resolved] = v
	return v
}
