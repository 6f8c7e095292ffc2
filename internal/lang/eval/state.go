package eval

import (
	"io"
	"os"
	"sort"

	"gonix/internal/lang/ast"
	"gonix/internal/lang/parser"
	"gonix/internal/lang/regex"
	"gonix/internal/lang/resolve"
)

// SearchPathEntry is one element of the Nix search path (-I, NIX_PATH).
type SearchPathEntry struct {
	Prefix string
	Path   string
}

// Options configure an evaluator. The zero value of each field has a
// sensible default.
type Options struct {
	StoreDir    string // logical store directory; default /nix/store
	SearchPath  []SearchPathEntry
	Stderr      io.Writer                   // trace and warning output; default os.Stderr
	Getenv      func(string) (string, bool) // environment; default os.LookupEnv
	Home        string                      // for ~/ paths
	CurrentTime int64
	System      string // default x86_64-linux
	MaxDepth    int    // call/force depth limit; default 10000
	ShowTrace   bool
	Store       EvalStore // default: a store that only computes paths
	// Interrupted, when set, is polled during evaluation; once it returns
	// true evaluation stops with "interrupted by the user".
	Interrupted func() bool
	// Fallback, when set, resolves a <name> that neither the search path
	// nor the built-in entries hold (the command layer's <gonixpkgs>); it
	// is not part of builtins.nixPath.
	Fallback func(name string) (string, bool)
	// NoPrefetch turns off parsing ahead the files that path literals
	// name (see prefetcher).
	NoPrefetch bool
	// compileFirst (tests): compile a thunk's expression the first time
	// it is forced too, instead of interpreting it (see interp)
	compileFirst bool
}

// State is one evaluator instance. It is not safe for concurrent use.
type State struct {
	opts      Options
	syms      *ast.Symbols
	baseEnv   *Env
	baseVals  []*Value    // baseEnv's slots
	native    *nativeSyms // the embedded lib's native helpers (gonixnative.go), once used
	baseScope *resolve.Scope
	baseNames []ast.Symbol
	builtins  *Value // the builtins set
	store     EvalStore
	stderr    io.Writer
	showTrace bool

	depth, maxDepth int
	importDepth     int
	traces          []traceFrame // see traceFrame
	interrupted     func() bool  // polled now and then; true stops evaluation
	polls           uint32
	argStack        []*Value    // arguments of calls in progress (see eval of ast.Call)
	forcing         []*Value    // cells under evaluation (black holes)
	frames1         []*Env      // free one-slot frames (see lambdaCode.reuse)
	frames2         []*Env      // free two-slot frames
	framesV         []*envValue // free one-slot frames with their cell (see callValue1)
	ints            []Value     // ints[i] holds i (see intCells)
	names           []*Value    // names[sym]: the string value of sym (see nameCell)
	jsonSizeHint    int         // length of toJSON's last result

	fileCache  map[string]*Value // import cache, by resolved path
	parseCache map[string]ast.Expr
	// positions holds the positions attributes carry (Attr.Pos), by
	// number; positions[0] is nil
	positions []*ast.Pos
	prefetch  *prefetcher // nil when Options.NoPrefetch
	// parseArena is shared by the evaluator's own parses
	parseArena *parser.Arena
	// srcToStore remembers the store path each source path was copied to
	// (Nix's srcToStore), so a path literal used many times is read once.
	srcToStore map[string]string

	drvs map[string]*drvInfo // derivations written or read in this evaluation

	regexes map[string]*regex.Regexp // compiled match/split patterns

	derivationSrc *ast.Source
	derivationFn  *Value

	// frequently used symbols
	sOutPath, sDrvPath, sType, sName, sValue, sSystem, sOverrides, sOutputs,
	sOutputName, sIgnoreNulls, sFile, sLine, sColumn, sFunctor, sToString,
	sRight, sWrong, sStructuredAttrs, sBuilder, sArgs, sOutputHash,
	sOutputHashAlgo, sOutputHashMode, sStartSet, sOperator, sKey, sPath,
	sPrefix, sSuccess, sMeta, sAll, sDrvAttrs, sContentAddressed, sImpure ast.Symbol

	primops []*PrimOp
}

// Symbols gives the symbol table (for the CLI's --parse printing).
func (st *State) Symbols() *ast.Symbols { return st.syms }

// New creates an evaluator with its base environment.
func New(opts Options) *State {
	if opts.StoreDir == "" {
		opts.StoreDir = "/nix/store"
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	if opts.System == "" {
		opts.System = "x86_64-linux"
	}
	if opts.MaxDepth == 0 {
		opts.MaxDepth = 100000
	}
	st := &State{
		opts:        opts,
		syms:        ast.NewSymbols(),
		stderr:      opts.Stderr,
		showTrace:   opts.ShowTrace,
		maxDepth:    opts.MaxDepth,
		interrupted: opts.Interrupted,
		fileCache:   make(map[string]*Value),
		parseCache:  make(map[string]ast.Expr),
		positions:   []*ast.Pos{nil},
		srcToStore:  make(map[string]string),
		drvs:        make(map[string]*drvInfo),
	}
	st.store = opts.Store
	if st.store == nil {
		st.store = NewComputeStore(opts.StoreDir)
	}
	if !opts.NoPrefetch {
		st.prefetch = newPrefetcher(st.home())
	}
	st.internEvaluatorNames()
	st.initBuiltins()
	return st
}

// Evaluator names interned first, in Nix 2.8's order (spec Appendix B).
func (st *State) internEvaluatorNames() {
	s := st.syms.Intern
	s("<with>")
	st.sOutPath = s("outPath")
	st.sDrvPath = s("drvPath")
	st.sType = s("type")
	st.sMeta = s("meta")
	st.sName = s("name")
	st.sValue = s("value")
	st.sSystem = s("system")
	st.sOverrides = s("__overrides")
	st.sOutputs = s("outputs")
	st.sOutputName = s("outputName")
	st.sIgnoreNulls = s("__ignoreNulls")
	st.sFile = s("file")
	st.sLine = s("line")
	st.sColumn = s("column")
	st.sFunctor = s("__functor")
	st.sToString = s("__toString")
	st.sRight = s("right")
	st.sWrong = s("wrong")
	st.sStructuredAttrs = s("__structuredAttrs")
	st.sBuilder = s("builder")
	st.sArgs = s("args")
	st.sContentAddressed = s("__contentAddressed")
	st.sImpure = s("__impure")
	st.sOutputHash = s("outputHash")
	st.sOutputHashAlgo = s("outputHashAlgo")
	st.sOutputHashMode = s("outputHashMode")
	s("recurseForDerivations")
	s("description")
	s("self")
	s("")
	st.sStartSet = s("startSet")
	st.sOperator = s("operator")
	st.sKey = s("key")
	st.sPath = s("path")
	st.sPrefix = s("prefix")
	st.sSuccess = s("success")
	st.sAll = s("all")
	st.sDrvAttrs = s("drvAttrs")
}

// builtinDef describes one builtin for registration.
type builtinDef struct {
	name     string // name without "__"
	arity    int    // 0: constant (fn unused, value set by init)
	topLevel bool   // also available under its plain name
	fn       func(st *State, pos ast.Pos, args []*Value) Value
}

// register is called by the builtins_*.go files' init tables.
func (st *State) initBuiltins() {
	type entry struct {
		name string
		val  *Value
		top  bool
	}
	var entries []entry
	add := func(name string, v *Value, top bool) {
		entries = append(entries, entry{name, v, top})
	}
	// constants (order matters for symbol interning: Appendix B)
	bset := &Value{}
	add("builtins", bset, true)
	add("true", &Value{kind: KBool, n: 1}, true)
	add("false", &Value{kind: KBool}, true)
	add("null", &Value{kind: KNull}, true)
	t := IntValue(st.opts.CurrentTime)
	add("currentTime", &t, false)
	sys := StringValue(st.opts.System, nil)
	add("currentSystem", &sys, false)
	ver := StringValue("2.8.0", nil)
	add("nixVersion", &ver, false)
	sd := StringValue(st.opts.StoreDir, nil)
	add("storeDir", &sd, false)
	lv := IntValue(6)
	add("langVersion", &lv, false)
	np := st.nixPathValue()
	add("nixPath", &np, false)
	for _, group := range builtinGroups() {
		for _, d := range group {
			op := &PrimOp{Name: d.name, Arity: d.arity, Fn: d.fn, fast: fastOps[d.name]}
			st.primops = append(st.primops, op)
			pv := primOpValue(op)
			add(d.name, &pv, d.topLevel)
		}
	}
	// derivation is a Nix lambda (corelib), bound lazily.
	drv := &Value{}
	st.derivationFn = drv
	add("derivation", drv, true)

	// base frame: for each builtin, "__name" and, for top-level ones, "name".
	var names []ast.Symbol
	var vals []*Value
	battrs := make([]Attr, 0, len(entries))
	for _, e := range entries {
		sym := st.syms.Intern(e.name)
		battrs = append(battrs, Attr{Name: sym, Val: e.val})
		if e.top {
			names = append(names, sym)
			vals = append(vals, e.val)
		}
		if e.name != "builtins" {
			names = append(names, st.syms.Intern("__"+e.name))
			vals = append(vals, e.val)
		}
	}
	sortAttrs(battrs)
	*bset = AttrsValue(Bindings{Attrs: battrs})
	st.builtins = bset
	st.baseNames = names
	st.baseEnv = newEnv(nil, len(vals))
	st.baseVals = st.baseEnv.slots(len(vals))
	copy(st.baseVals, vals)
	st.baseScope = resolve.NewScope(nil, names)
	st.initDerivation()
}

func sortAttrsSlow(a []Attr) {
	sort.Slice(a, func(i, j int) bool { return a[i].Name < a[j].Name })
}
