package eval

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unsafe"

	"gonix/corelib"
	"gonix/internal/lang/ast"
	"gonix/internal/lang/parser"
)

// The prefetcher reads and parses, on a goroutine of its own, the .nix
// files named by path literals in the files parsed so far, so that an
// import finds its file already parsed: evaluation is single-threaded,
// and a configuration of many small files spends a sixth of its time
// reading and parsing them. Only the parse moves; everything observable
// stays on the evaluating goroutine and happens at import, as before:
//
//   - The worker parses with a symbol table of its own. Adopting the tree
//     interns its names into the evaluator's table in the order the parser
//     first met them, which is the order parsing it there would have
//     interned them (Nix's symbol order, on which attribute order rests),
//     then rewrites the tree's symbols (ast.RemapSymbols) and resolves it.
//   - A file whose parse failed, or that changed (size or modification
//     time) since the worker read it, or that the evaluator reached
//     first, is parsed at import as without the prefetcher, so errors are
//     the same.
//   - The worker takes the files of the evaluation first, last named
//     first, and the embedded lib's files only when there are none:
//     lib/default.nix names 24 of them, and a module-system evaluation
//     uses 8 (on bench/modules, taking them in turn with the others held
//     the configuration's modules up: 2 % of the run).
//   - The worker reads ahead at most prefetchAhead bytes of source that no
//     import has taken yet (a package set names thousands of files that
//     an evaluation never imports), and files of at most prefetchMaxFile
//     bytes. It stops when its queue is empty.
type prefetcher struct {
	home string

	mu      sync.Mutex
	files   map[string]*prefetched // by resolved path
	seen    map[string]bool        // path literals queued once
	queue   []string               // a stack
	later   []string               // of the embedded lib, first in first out
	running bool
	ahead   int // bytes of source parsed and not yet adopted

	syms  *ast.Symbols // the worker's, made on first use; one worker runs at a time
	arena parser.Arena // the worker's
}

const (
	prefetchAhead   = 1 << 20
	prefetchMaxFile = 1 << 20
)

// prefetched is one file the worker took: parsing until the worker is
// done, then parsed (e == nil: it failed and is parsed again at import),
// and taken once the evaluator asked for it.
type prefetched struct {
	state   uint8
	size    int64
	mtime   time.Time
	virtual bool // of the embedded corelib: it cannot change
	src     *ast.Source
	e       ast.Expr
	names   []string // the worker's symbols, by number
}

const (
	pfParsing uint8 = iota
	pfParsed
	pfTaken
)

func newPrefetcher(home string) *prefetcher {
	return &prefetcher{home: home, files: make(map[string]*prefetched), seen: make(map[string]bool)}
}

// enqueue queues the path literals of a parsed file and starts the
// worker if it is not running.
func (pf *prefetcher) enqueue(paths []string) {
	if len(paths) == 0 {
		return
	}
	pf.mu.Lock()
	defer pf.mu.Unlock()
	for _, p := range paths {
		if !pf.seen[p] {
			pf.seen[p] = true
			if _, virtual := gonixEmbedded(p); virtual {
				pf.later = append(pf.later, p)
			} else {
				pf.queue = append(pf.queue, p)
			}
		}
	}
	pf.startLocked()
}

func (pf *prefetcher) startLocked() {
	if !pf.running && len(pf.queue)+len(pf.later) > 0 && pf.ahead < prefetchAhead {
		pf.running = true
		go pf.run()
	}
}

func (pf *prefetcher) run() {
	for {
		pf.mu.Lock()
		p, ok := pf.nextLocked()
		if !ok {
			pf.running = false
			pf.mu.Unlock()
			return
		}
		pf.mu.Unlock()
		pf.load(p)
	}
}

// nextLocked takes the next path literal to load: the last one queued
// of the files of the evaluation, else the first of the embedded lib's.
func (pf *prefetcher) nextLocked() (string, bool) {
	if pf.ahead >= prefetchAhead {
		return "", false
	}
	if n := len(pf.queue); n > 0 {
		p := pf.queue[n-1]
		pf.queue = pf.queue[:n-1]
		return p, true
	}
	if len(pf.later) > 0 {
		p := pf.later[0]
		pf.later = pf.later[1:]
		return p, true
	}
	return "", false
}

// load reads and parses the file a path literal names, if it is a .nix
// file no one took yet.
func (pf *prefetcher) load(lit string) {
	var resolved string
	name, virtual := gonixEmbedded(lit)
	if virtual {
		if name == nativeName {
			return
		}
		resolved = gonixRoot + "/" + name
	} else if resolved, _, _ = resolveImport(lit); resolved == "" {
		resolved = lit // the read fails, and is recorded as failed
	}
	if !strings.HasSuffix(resolved, ".nix") {
		return
	}
	pf.mu.Lock()
	if _, ok := pf.files[resolved]; ok {
		pf.mu.Unlock()
		return
	}
	f := &prefetched{state: pfParsing, virtual: virtual}
	pf.files[resolved] = f
	pf.mu.Unlock()

	r := prefetched{state: pfParsed, virtual: virtual}
	paths := pf.parse(name, resolved, &r)
	pf.mu.Lock()
	if f.state == pfParsing {
		*f = r
		if f.e != nil {
			pf.ahead += len(f.src.Text)
		}
	}
	pf.mu.Unlock()
	pf.enqueue(paths)
}

// parse reads and parses the file into r, giving its path literals.
func (pf *prefetcher) parse(name, resolved string, r *prefetched) (paths []string) {
	var data []byte
	dir := filepath.Dir(resolved)
	if r.virtual {
		var err error
		if data, err = corelib.FS.ReadFile(name); err != nil {
			return nil
		}
		dir = path.Dir(resolved)
	} else if data = pf.read(resolved, r); data == nil {
		return nil
	}
	// (data is this file's own: the string may share it)
	src := &ast.Source{Origin: ast.OriginFile, Path: resolved, Text: unsafe.String(unsafe.SliceData(data), len(data))}
	if pf.syms == nil {
		pf.syms = ast.NewSymbols()
	} else {
		pf.syms.Reset()
	}
	e, err := parser.Parse(src, pf.syms, parser.Options{BaseDir: dir, Home: pf.home, Paths: &paths, Arena: &pf.arena})
	if err != nil {
		return nil
	}
	r.names = make([]string, pf.syms.Len())
	for i := range r.names {
		r.names[i] = pf.syms.Name(ast.Symbol(i))
	}
	r.src, r.e = src, e
	return paths
}

// read reads a regular file of at most prefetchMaxFile bytes, noting its
// size and modification time; nil if it is not one.
func (pf *prefetcher) read(p string, f *prefetched) []byte {
	data, size, mtime, ok := readRegular(p, prefetchMaxFile)
	if !ok {
		return nil
	}
	f.size, f.mtime = size, mtime
	return data
}

// takePrefetched gives the parsed and resolved tree of the file at
// resolved path p if the worker has parsed it and it is unchanged (fi,
// when not nil, is the file's lstat, taken just before);
// otherwise it marks p as the evaluator's own, to be parsed as usual, and
// reports false. It never waits: a file the worker is still parsing is
// parsed again (the worker's copy is dropped), so a worker the system
// has descheduled never holds evaluation up.
func (st *State) takePrefetched(p string, fi os.FileInfo) (ast.Expr, bool, error) {
	pf := st.prefetch
	if pf == nil {
		return nil, false, nil
	}
	pf.mu.Lock()
	f := pf.files[p]
	if f == nil {
		pf.files[p] = &prefetched{state: pfTaken}
		pf.mu.Unlock()
		return nil, false, nil
	}
	parsed := f.state == pfParsed
	f.state = pfTaken
	e := f.e
	f.e = nil
	if e != nil {
		pf.ahead -= len(f.src.Text)
		pf.startLocked()
	}
	pf.mu.Unlock()
	if !parsed || e == nil {
		return nil, false, nil
	}
	if !f.virtual {
		if fi == nil {
			var err error
			if fi, err = os.Stat(p); err != nil {
				return nil, false, nil
			}
		}
		if fi.Size() != f.size || !fi.ModTime().Equal(f.mtime) {
			return nil, false, nil
		}
	}
	m := make([]ast.Symbol, len(f.names))
	for i, n := range f.names {
		m[i] = st.syms.Intern(n)
	}
	f.names = nil
	ast.RemapSymbols(e, m)
	if err := st.resolve(e, st.baseScope); err != nil {
		return nil, true, err
	}
	return e, true, nil
}
