package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonix/internal/cli/args"
	"gonix/internal/lang/ast"
	"gonix/internal/lang/eval"
	"gonix/internal/store/local"
	gonixpkgs "gonix/pkgs"
)

// newEvaluator builds an evaluator from the command's settings and
// environment: store directory, search path (-I then NIX_PATH), HOME.
func newEvaluator(e *Env, settings *args.Settings, includes []string, store eval.EvalStore) (*eval.State, error) {
	storeDir := "/nix/store"
	if d, ok := e.LookupEnv("NIX_STORE_DIR"); ok && d != "" {
		storeDir = strings.TrimRight(d, "/")
	}
	var sp []eval.SearchPathEntry
	for _, i := range includes {
		sp = append(sp, parseSearchPathEntry(i))
	}
	if np, ok := e.LookupEnv("NIX_PATH"); ok {
		for _, i := range splitNixPath(np) {
			sp = append(sp, parseSearchPathEntry(i))
		}
	} else {
		home := e.Getenv("HOME")
		stateDir := "/nix/var/nix"
		if d := e.Getenv("NIX_STATE_DIR"); d != "" {
			stateDir = d
		}
		for _, cand := range []string{
			home + "/.nix-defexpr/channels",
			"nixpkgs=" + stateDir + "/profiles/per-user/root/channels/nixpkgs",
			stateDir + "/profiles/per-user/root/channels",
		} {
			ent := parseSearchPathEntry(cand)
			if _, err := os.Stat(ent.Path); err == nil {
				sp = append(sp, ent)
			}
		}
	}
	// max-call-depth (a gonix setting; Nix 2.8 has no limit but its C
	// stack): how deep evaluation may recurse before "stack overflow".
	maxDepth := 0
	if v, ok := settings.Lookup("max-call-depth"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("invalid value '%s' for setting 'max-call-depth': expected a positive integer", v)
		}
		maxDepth = n
	}
	// eval-prefetch (a gonix setting): parse the files that path literals
	// name on a second goroutine, ahead of their import.
	prefetch := true
	if v, ok := settings.Lookup("eval-prefetch"); ok {
		var err error
		if prefetch, err = args.ParseBool("eval-prefetch", v); err != nil {
			return nil, err
		}
	}
	if e.Prefault {
		// it stops by itself once the heap stops growing
		e.Prefault = false
		startPrefault()
	}
	return eval.New(eval.Options{
		NoPrefetch:  !prefetch,
		StoreDir:    storeDir,
		Store:       store,
		SearchPath:  sp,
		Stderr:      e.Stderr,
		Getenv:      e.LookupEnv,
		Home:        e.Getenv("HOME"),
		CurrentTime: time.Now().Unix(),
		ShowTrace:   settings.ShowTrace,
		MaxDepth:    maxDepth,
		Interrupted: func() bool { return e.Ctx().Err() != nil },
		Fallback:    func(name string) (string, bool) { return gonixpkgsFallback(e, name) },
	}), nil
}

func parseSearchPathEntry(s string) eval.SearchPathEntry {
	if i := strings.IndexByte(s, '='); i >= 0 {
		return eval.SearchPathEntry{Prefix: s[:i], Path: s[i+1:]}
	}
	return eval.SearchPathEntry{Path: s}
}

// splitNixPath splits NIX_PATH at ':' except inside URIs (an entry whose
// value after '=' looks like scheme://).
func splitNixPath(s string) []string {
	var out []string
	cur := ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ':' {
			rest := s[i+1:]
			val := cur
			if j := strings.IndexByte(cur, '='); j >= 0 {
				val = cur[j+1:]
			}
			if strings.HasPrefix(rest, "//") && isURIScheme(val) {
				cur += string(c)
				continue
			}
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += string(c)
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

func isURIScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func runInstantiate(e *Env, o *InstantiateOptions) int {
	fail := func(err error) int { return printEvalError(e.Stderr, err, o.ShowTrace, "nix-instantiate") }
	var es eval.EvalStore
	var ls *local.Store
	if !o.Eval || o.ReadWriteMode {
		var err error
		ls, err = openLocalStore(e, &o.Settings, false)
		if err != nil {
			return fail(err)
		}
		defer ls.Close()
		es = &evalStore{ctx: e.Ctx(), s: ls, build: func(drvs []string) error {
			return realiseForEval(e, &o.Settings, ls, drvs)
		}}
	}
	st, err := newEvaluator(e, &o.Settings, o.SearchPath, es)
	if err != nil {
		return fail(err)
	}
	out := bufio.NewWriter(e.Stdout)
	defer out.Flush()

	autoArgs, err := buildAutoArgs(st, e, o)
	if err != nil {
		return fail(err)
	}

	inputs := exprInputs(st, e, o)
	rootNr, warned := 0, false
	attrPaths := o.AttrPaths
	if len(attrPaths) == 0 {
		attrPaths = []string{""}
	}
	for _, in := range inputs {
		expr, err := in()
		if err != nil {
			out.Flush()
			return fail(err)
		}
		if o.Parse {
			ast.Show(out, st.Symbols(), expr)
			out.WriteByte('\n')
			continue
		}
		root, err := st.Eval(expr)
		if err != nil {
			out.Flush()
			return fail(err)
		}
		for _, ap := range attrPaths {
			v, err := st.FindAlongAttrPath(ap, autoArgs, root)
			if err == nil {
				err = st.Force(v)
			}
			if err == nil && !o.Eval {
				err = printDrvPaths(e, out, st, ls, o, v, autoArgs, &rootNr, &warned)
				if err != nil {
					out.Flush()
					return fail(err)
				}
				continue
			}
			if err == nil && autoArgs.Len() > 0 {
				v, err = st.AutoCall(autoArgs, v)
			}
			if err == nil {
				switch {
				case o.XML:
					err = st.PrintXML(out, v, o.Strict, !o.NoLocation)
				case o.JSON:
					err = st.PrintJSON(out, v, o.Strict)
				default:
					if o.Strict {
						err = st.DeepForce(v)
					}
					if err == nil {
						err = st.Print(out, v)
						out.WriteByte('\n')
					}
				}
			}
			if err != nil {
				out.Flush()
				return fail(err)
			}
		}
	}
	return 0
}

// lookupFileArg resolves a file argument: <path> through the search path,
// otherwise relative to the working directory.
func lookupFileArg(st *eval.State, e *Env, f string) (string, error) {
	if len(f) > 2 && f[0] == '<' && f[len(f)-1] == '>' {
		return st.FindFileInSearchPath(f[1 : len(f)-1])
	}
	if !filepath.IsAbs(f) {
		f = filepath.Join(e.Dir, f)
	}
	return filepath.Clean(f), nil
}

// buildAutoArgs turns --arg/--argstr into a set of lazily evaluated
// values (the last one given for a name wins, as in Nix).
func buildAutoArgs(st *eval.State, e *Env, o *InstantiateOptions) (*eval.Bindings, error) {
	vals := map[string]*eval.Value{}
	var order []string
	for _, a := range o.AutoArgs {
		var v *eval.Value
		if a.IsString {
			s := eval.StringValue(a.Value, nil)
			v = &s
		} else {
			expr, err := st.ParseString(a.Value, e.Dir, ast.OriginString)
			if err != nil {
				return nil, err
			}
			v = st.Thunk(expr)
		}
		if _, ok := vals[a.Name]; !ok {
			order = append(order, a.Name)
		}
		vals[a.Name] = v
	}
	attrs := make([]eval.Attr, 0, len(order))
	for _, n := range order {
		attrs = append(attrs, eval.Attr{Name: st.Symbols().Intern(n), Val: vals[n]})
	}
	return st.NewBindings(attrs), nil
}

// printDrvPaths is nix-instantiate without --eval: every derivation of v is
// written to the store and its .drv path printed (with "!output" when the
// value selects another output than out), or the GC root made for it with
// --add-root.
func printDrvPaths(e *Env, out *bufio.Writer, st *eval.State, ls *local.Store, o *InstantiateOptions, v *eval.Value, autoArgs *eval.Bindings, rootNr *int, warned *bool) error {
	drvs, err := st.GetDerivations(v, autoArgs)
	if err != nil {
		return err
	}
	// The .drv files are written as they are forced; their registration is
	// committed in batches, the last when the store is closed.
	for _, d := range drvs {
		p, err := d.DrvPath()
		if err != nil {
			return err
		}
		outName, err := d.OutputName()
		if err != nil {
			return err
		}
		if outName == "" {
			return fmt.Errorf("derivation '%s' lacks an 'outputName' attribute", p)
		}
		if o.AddRoot == "" {
			if !o.NoGCWarning && !*warned {
				*warned = true
				out.Flush()
				fmt.Fprintln(e.Stderr, "warning: you did not specify '--add-root'; the result might be removed by the garbage collector")
			}
		} else {
			root := o.AddRoot
			if !filepath.IsAbs(root) {
				root = filepath.Join(e.Dir, root)
			}
			root = filepath.Clean(root)
			*rootNr++
			if *rootNr > 1 {
				root += "-" + strconv.Itoa(*rootNr)
			}
			if err := addPermRoot(e, ls, p, root); err != nil {
				return err
			}
			p = root
		}
		if outName != "out" {
			p += "!" + outName
		}
		fmt.Fprintln(out, p)
	}
	return nil
}

func addPermRoot(e *Env, ls *local.Store, storePath, root string) error {
	_, err := ls.AddPermRoot(e.Ctx(), storePath, root)
	return err
}

// exprInputs lists the expressions a command line names, in order: standard
// input ("-"), then each file (or, with -E, each expression); ./default.nix
// when there is nothing else.
func exprInputs(st *eval.State, e *Env, o *InstantiateOptions) []func() (ast.Expr, error) {
	var inputs []func() (ast.Expr, error)
	if o.FromStdin {
		inputs = append(inputs, func() (ast.Expr, error) {
			data, err := io.ReadAll(e.Stdin)
			if err != nil {
				return nil, err
			}
			return st.ParseString(string(data), e.Dir, ast.OriginStdin)
		})
	}
	files := o.Files
	if len(files) == 0 && !o.FromStdin && !o.Exprs {
		files = []string{"./default.nix"}
	}
	for _, f := range files {
		if o.Exprs {
			inputs = append(inputs, func() (ast.Expr, error) { return st.ParseString(f, e.Dir, ast.OriginString) })
		} else {
			inputs = append(inputs, func() (ast.Expr, error) {
				p, err := lookupFileArg(st, e, f)
				if err != nil {
					return nil, err
				}
				return st.ParseFile(p)
			})
		}
	}
	return inputs
}

// gonixpkgsFallback resolves <gonixpkgs> and <gonixpkgs/...> when the
// search path has no such entry: to the collection built into gonix,
// unpacked once per version under the user's cache directory (only when
// first asked for). -I gonixpkgs=DIR or NIX_PATH override it
// (docs/design/bootstrap.md).
func gonixpkgsFallback(e *Env, name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "gonixpkgs")
	if !ok || (rest != "" && rest[0] != '/') {
		return "", false
	}
	dir, err := gonixpkgs.Unpack(cacheDir(e))
	if err != nil {
		fmt.Fprintf(e.Stderr, "warning: %s\n", err)
		return "", false
	}
	p := dir + rest
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// cacheDir is where gonix keeps files it can recreate: $XDG_CACHE_HOME/gonix,
// else ~/.cache/gonix, else a directory under the system's temporary one.
func cacheDir(e *Env) string {
	if d := e.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "gonix")
	}
	if h := e.Getenv("HOME"); h != "" && h != "/homeless-shelter" {
		return filepath.Join(h, ".cache", "gonix")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("gonix-cache-%d", os.Getuid()))
}
