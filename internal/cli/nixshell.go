package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"gonix/internal/build"
	"gonix/internal/cli/args"
	"gonix/internal/format/derivation"
	"gonix/internal/lang/ast"
	"gonix/internal/lang/eval"
	"gonix/internal/lazyre"
	"gonix/internal/store/local"
)

// shellOptions is a parsed nix-shell command line (Nix 2.8's nix-build.cc
// run as nix-shell).
type shellOptions struct {
	InstantiateOptions
	attrPaths   []string
	pure        bool
	packages    bool // -p: positional arguments are package expressions
	envCommand  string
	interactive bool
	keep        map[string]bool
	exclude     []string
	// inShebang: nix-shell runs a script whose "#! nix-shell" lines gave
	// the arguments; script is its path, scriptArgs its own arguments.
	inShebang  bool
	script     string
	scriptArgs []string
}

// shellKeepVars is Nix 2.8's list of variables --pure keeps.
var shellKeepVars = []string{
	"HOME", "XDG_RUNTIME_DIR", "USER", "LOGNAME", "DISPLAY",
	"WAYLAND_DISPLAY", "WAYLAND_SOCKET", "PATH", "TERM", "IN_NIX_SHELL",
	"NIX_SHELL_PRESERVE_PROMPT", "TZ", "PAGER", "NIX_BUILD_SHELL", "SHLVL",
	"http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy",
}

var shebangLine = lazyre.New(`^#!\s*nix-shell (.*)$`)

// shebangArgs is 2.8's shebang heuristic: when the first argument names a
// readable file starting with "#!", the arguments come from its
// "#! nix-shell ..." lines, split as perl's shellwords does.
func shebangArgs(e *Env, argv []string) (args []string, script string, ok bool) {
	if len(argv) == 0 {
		return nil, "", false
	}
	data, err := os.ReadFile(absPathIn(e.Dir, argv[0]))
	if err != nil || !strings.HasPrefix(string(data), "#!") {
		return nil, "", false
	}
	lines := strings.Split(string(data), "\n")
	for _, l := range lines[1:] {
		if m := shebangLine().FindStringSubmatch(strings.TrimRight(l, "\n")); m != nil {
			args = append(args, shellwords(m[1])...)
		}
	}
	return args, argv[0], true
}

// shellwords splits s like 2.8's re-creation of perl's shellwords:
// whitespace separates words, double quotes group, a backslash takes
// the next character literally.
func shellwords(s string) []string {
	var res []string
	var cur strings.Builder
	quoted, started := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case !quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'):
			if started {
				res = append(res, cur.String())
				cur.Reset()
				started = false
			}
		case c == '"':
			quoted = !quoted
			started = true
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			started = true
		default:
			cur.WriteByte(c)
			started = true
		}
	}
	if cur.Len() > 0 {
		res = append(res, cur.String())
	}
	return res
}

func parseShell(e *Env, argv []string) (*shellOptions, legacyAction, error) {
	o := &shellOptions{InstantiateOptions: InstantiateOptions{Settings: args.NewSettings()}, keep: map[string]bool{}}
	o.interactive = isTerminalReader(e.Stdin) && isTerminal(e.Stderr)
	for _, k := range shellKeepVars {
		o.keep[k] = true
	}
	if words, script, ok := shebangArgs(e, argv); ok {
		o.inShebang, o.script, o.scriptArgs = true, script, argv[1:]
		argv = words
	}
	act := actionRun
	ignore := func(string, []string) error { return nil }
	var p args.Parser
	p.Add(args.CommonFlags(&o.Settings, "nix-shell")...)
	p.Add(args.EvalFlags(&o.EvalArgs)...)
	p.Add(legacyFlags(&act)...)
	p.Add(
		args.Flag{Names: []string{"-"}, Legacy: true, Handle: args.SetTrue(&o.FromStdin)},
		args.Flag{Names: []string{"--expr", "-E"}, Legacy: true, Handle: args.SetTrue(&o.Exprs)},
		args.Flag{Names: []string{"--attr", "-A"}, Arity: 1, Legacy: true, Handle: args.AppendArg(&o.attrPaths)},
		args.Flag{Names: []string{"--add-drv-link", "--indirect", "--no-out-link", "--no-link", "--run-env"}, Legacy: true, Handle: ignore},
		args.Flag{Names: []string{"--drv-link", "--out-link", "-o", "--add-root"}, Arity: 1, Legacy: true, Handle: ignore},
		args.Flag{Names: []string{"--dry-run"}, Legacy: true, Handle: args.SetTrue(&o.DryRun)},
		args.Flag{Names: []string{"--repair"}, Legacy: true, Handle: args.SetTrue(&o.Repair)},
		args.Flag{Names: []string{"--check"}, Legacy: true, Handle: ignore},
		args.Flag{Names: []string{"--command", "--run"}, Arity: 1, Legacy: true, Handle: func(name string, v []string) error {
			if name == "--run" {
				o.interactive = false
			}
			o.envCommand = v[0] + "\nexit"
			return nil
		}},
		args.Flag{Names: []string{"--exclude"}, Arity: 1, Legacy: true, Handle: args.AppendArg(&o.exclude)},
		args.Flag{Names: []string{"--pure"}, Legacy: true, Handle: func(string, []string) error { o.pure = true; return nil }},
		args.Flag{Names: []string{"--impure"}, Legacy: true, Handle: func(string, []string) error { o.pure = false; return nil }},
		args.Flag{Names: []string{"--packages", "-p"}, Legacy: true, Handle: args.SetTrue(&o.packages)},
		args.Flag{Names: []string{"--keep"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			o.keep[v[0]] = true
			return nil
		}},
	)
	if o.inShebang {
		p.Add(args.Flag{Names: []string{"-i"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			o.interactive = false
			o.envCommand = shebangCommand(v[0], o.script, o.scriptArgs)
			return nil
		}})
	}
	p.Positional = func(arg string) error {
		o.Files = append(o.Files, arg)
		return nil
	}
	err := p.Parse(argv)
	if err == nil && o.packages && o.Exprs {
		err = args.Usagef("'-p' and '-E' are mutually exclusive")
	}
	return o, act, err
}

// shebangCommand is the command 2.8 runs for "-i INTERP" in a script,
// with its hacks for perl (exec -a PERL) and ruby (load the script).
func shebangCommand(interp, script string, scriptArgs []string) string {
	execArgs := ""
	if strings.Contains(interp, "perl") {
		execArgs = "-a PERL"
	}
	var joined strings.Builder
	for _, a := range scriptArgs {
		joined.WriteString(shellEscape(a) + " ")
	}
	if strings.Contains(interp, "ruby") {
		return fmt.Sprintf("exec %s %s -e 'load(ARGV.shift)' -- %s %s", execArgs, interp, shellEscape(script), joined.String())
	}
	return fmt.Sprintf("exec %s %s %s %s", execArgs, interp, shellEscape(script), joined.String())
}

// mainShell is the nix-shell command.
func mainShell(e *Env, program string, argv []string) int {
	o, act, err := parseShell(e, argv)
	if status, done := finishParse(e, program, &o.Settings, err); done && act == actionRun {
		return status
	}
	switch act {
	case actionHelp:
		fmt.Fprint(e.Stdout, shellHelp)
		return 0
	case actionVersion:
		printVersion(e, "nix-shell")
		return 0
	}
	status, err := runShell(e, o)
	if err != nil {
		var f *build.Failure
		var ue *args.UsageError
		switch {
		case errors.As(err, &ue):
			fmt.Fprintf(e.Stderr, "error: %s\nTry '%s --help' for more information.\n", ue.Msg, program)
			return 1
		case errors.As(err, &f):
			return status
		}
		return printEvalError(e.Stderr, err, o.ShowTrace, "nix-shell")
	}
	return status
}

const shellHelp = `Usage: nix-shell [FLAGS...] [FILES...]

Start an interactive shell in the build environment of a derivation: the
derivation's inputs are built or substituted, its environment is set,
$stdenv/setup is sourced (so its phases can be called) and shellHook runs.
Without FILES, ./shell.nix, else ./default.nix.

Flags:
  -p, --packages EXPR...  a shell with these packages of <nixpkgs> (gonix:
                          of <gonixpkgs> when <nixpkgs> is not found)
  -A, --attr PATH         use the attribute at PATH
  -E, --expr              FILES are expressions
      --arg NAME EXPR     pass an argument to the top-level function
      --argstr NAME STR   the same, with a string
  -I PATH                 add to the search path
      --run CMD           run CMD non-interactively in the shell, then exit
      --command CMD       run CMD in the shell (interactive), then exit
      --pure              clear the environment but for a few variables
      --keep VAR          keep VAR in a --pure shell
      --exclude REGEX     do not build inputs whose .drv path matches
      --dry-run           show what would be built
  -i INTERP               (in a "#! nix-shell" script) run the script with INTERP
      --store DIR         use the chroot store at DIR (the shell then runs in a
                          mount namespace where DIR/nix/store is /nix/store)
NIX_BUILD_SHELL names the shell; otherwise bashInteractive (or bash) of the
package collection is built, and bash from PATH used when that fails.
`

// shellPackagesExpr is the expression of "nix-shell -p": Nix's text with
// <nixpkgs>, or, when gonix finds no <nixpkgs>, with <gonixpkgs> given only
// the arguments its function accepts (it takes no inNixShell).
func shellPackagesExpr(pkgs []string, useGonixpkgs bool) string {
	var sb strings.Builder
	if useGonixpkgs {
		sb.WriteString("{...}@args: with import <gonixpkgs> (builtins.intersectAttrs (builtins.functionArgs (import <gonixpkgs>)) args); (pkgs.runCommandCC or pkgs.runCommand or pkgs.stdenv.runCommand) \"shell\" { buildInputs = [ ")
	} else {
		sb.WriteString("{...}@args: with import <nixpkgs> args; (pkgs.runCommandCC or pkgs.runCommand) \"shell\" { buildInputs = [ ")
	}
	for _, p := range pkgs {
		sb.WriteString("(" + p + ") ")
	}
	sb.WriteString("]; } \"\"")
	return sb.String()
}

// hasNixpkgs reports whether <nixpkgs> resolves on st's search path.
func hasNixpkgs(st *eval.State, dir string) bool {
	expr, err := st.ParseString("<nixpkgs>", dir, ast.OriginString)
	if err != nil {
		return false
	}
	_, err = st.Eval(expr)
	return err == nil
}

func runShell(e0 *Env, o *shellOptions) (int, error) {
	// Nix sets IN_NIX_SHELL before evaluating: expressions may read it
	// with builtins.getEnv (nixpkgs' lib.inNixShell does).
	e := *e0
	inShell := "impure"
	if o.pure {
		inShell = "pure"
	}
	e.LookupEnv = func(name string) (string, bool) {
		if name == "IN_NIX_SHELL" {
			return inShell, true
		}
		if e0.LookupEnv == nil {
			return "", false
		}
		return e0.LookupEnv(name)
	}
	return runShellIn(&e, o)
}

func runShellIn(e *Env, o *shellOptions) (int, error) {
	ls, err := openLocalStore(e, &o.Settings, false)
	if err != nil {
		return 1, err
	}
	defer ls.Close()
	es := &evalStore{ctx: e.Ctx(), s: ls}
	es.build = func(drvs []string) error { return realiseForEval(e, &o.Settings, ls, drvs) }
	st, err := newEvaluator(e, &o.Settings, o.SearchPath, es)
	if err != nil {
		return 1, err
	}
	autoArgs, err := buildAutoArgs(st, e, &o.InstantiateOptions)
	if err != nil {
		return 1, err
	}
	// nix-shell passes inNixShell = true before the user's arguments.
	attrs := []eval.Attr{{Name: st.Symbols().Intern("inNixShell"), Val: boolPtr(true)}}
	for _, a := range autoArgs.Attrs {
		if st.Symbols().Name(a.Name) != "inNixShell" {
			attrs = append(attrs, a)
		}
	}
	autoArgs = st.NewBindings(attrs)

	if o.packages {
		o.Files = []string{shellPackagesExpr(o.Files, !hasNixpkgs(st, e.Dir))}
		o.Exprs = true
	} else if !o.Exprs && !o.FromStdin {
		if len(o.Files) == 0 {
			if _, err := os.Stat(absPathIn(e.Dir, "shell.nix")); err == nil {
				o.Files = []string{"shell.nix"}
			} else {
				o.Files = []string{"default.nix"}
			}
		}
		// In a #! script, file names are relative to the script.
		if o.inShebang {
			base := absPathIn(e.Dir, o.script)
			for i, f := range o.Files {
				if !strings.HasPrefix(f, "<") && !strings.Contains(f, "://") {
					o.Files[i] = absPathIn(base[:strings.LastIndexByte(base, '/')+1], f)
				}
			}
		}
	}
	attrPaths := o.attrPaths
	if len(attrPaths) == 0 {
		attrPaths = []string{""}
	}
	// A store derivation given by path is used as it is (2.8: a store
	// path ending in .drv, possibly reached through a link).
	var drvPaths []string
	if !o.Exprs {
		var rest []string
		for _, f := range o.Files {
			p := storeLinkTarget(absPathIn(e.Dir, f), ls.StoreDir())
			if strings.HasPrefix(p, ls.StoreDir()+"/") && strings.HasSuffix(p, ".drv") {
				drvPaths = append(drvPaths, p)
			} else {
				rest = append(rest, f)
			}
		}
		o.Files = rest
	}
	var drvs []*eval.DrvInfo
	inputs := exprInputs(st, e, &o.InstantiateOptions)
	if len(drvPaths) > 0 && len(o.Files) == 0 && !o.FromStdin {
		inputs = nil
	}
	for _, in := range inputs {
		expr, err := in()
		if err != nil {
			return 1, err
		}
		root, err := st.Eval(expr)
		if err != nil {
			return 1, err
		}
		for _, ap := range attrPaths {
			v, err := st.FindAlongAttrPath(ap, autoArgs, root)
			if err == nil {
				err = st.Force(v)
			}
			var ds []*eval.DrvInfo
			if err == nil {
				ds, err = st.GetDerivations(v, autoArgs)
			}
			if err != nil {
				return 1, err
			}
			drvs = append(drvs, ds...)
		}
	}
	if len(drvs)+len(drvPaths) != 1 {
		return 1, args.Usagef("nix-shell requires a single derivation")
	}
	var drvPath string
	if len(drvPaths) == 1 {
		drvPath = drvPaths[0]
	} else if drvPath, err = drvs[0].DrvPath(); err != nil {
		return 1, err
	}
	drv, err := readDerivation(ls, drvPath)
	if err != nil {
		return 1, err
	}

	// The shell: $NIX_BUILD_SHELL, else the collection's bash, else the
	// environment's.
	shell, hasShell := e.LookupEnv("NIX_BUILD_SHELL")
	var shellDrv string
	var toBuild []string
	if !hasShell {
		shellDrv, err = shellDerivation(st, e, es, ls)
		if err != nil {
			fmt.Fprintf(e.Stderr, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", "\n       "))
			fmt.Fprintln(e.Stderr, "will use bash from your environment")
			shell = "bash"
		} else {
			toBuild = append(toBuild, shellDrv)
		}
	}
	for _, in := range sortedKeys(drv.InputDrvs) {
		excluded := false
		for _, x := range o.exclude {
			re, err := regexp.Compile(x)
			if err != nil {
				return 1, fmt.Errorf("nix-shell: --exclude '%s': %w", x, err)
			}
			if re.MatchString(in) {
				excluded = true
			}
		}
		if !excluded {
			toBuild = append(toBuild, in)
		}
	}
	if err := ls.Flush(e.Ctx()); err != nil {
		return 1, err
	}
	sched, err := newScheduler(e, &o.Settings, ls)
	if err != nil {
		return 1, err
	}
	if o.DryRun {
		sched.Runner = nil
		return 0, sched.Plan(e.Ctx(), toBuild)
	}
	if err := sched.Realise(e.Ctx(), toBuild); err != nil {
		if ev, ok := sched.Events.(*buildEvents); ok {
			ev.finish()
		}
		var f *build.Failure
		if errors.As(err, &f) {
			return reportBuildFailure(e, sched, f), err
		}
		return 1, err
	}
	if ev, ok := sched.Events.(*buildEvents); ok {
		ev.finish()
	}
	if shellDrv != "" {
		sd, err := readDerivation(ls, shellDrv)
		if err != nil {
			return 1, err
		}
		shell = sd.Outputs["out"].Path + "/bin/bash"
	}
	cores := runtime.NumCPU()
	if v, ok := o.Settings.Lookup("cores"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			cores = n
		}
	}
	return enterShell(e, o, shellSession{
		drvPath: drvPath, drv: drv, store: ls, shell: shell, storeDir: ls.StoreDir(), realStoreDir: ls.RealStoreDir(), cores: cores,
	})
}

func boolPtr(b bool) *eval.Value {
	v := eval.BoolValue(b)
	return &v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readDerivation reads and parses a .drv file of the store.
func readDerivation(ls *local.Store, drvPath string) (*derivation.Derivation, error) {
	real := ls.RealStoreDir() + strings.TrimPrefix(drvPath, ls.StoreDir())
	data, err := os.ReadFile(real)
	if err != nil {
		return nil, fmt.Errorf("reading derivation '%s': %w", drvPath, err)
	}
	d, err := derivation.ParseATerm(data)
	if err != nil {
		return nil, fmt.Errorf("parsing derivation '%s': %w", drvPath, err)
	}
	return d, nil
}

// shellDerivation evaluates the interactive bash of the package
// collection: Nix's (import <nixpkgs> {}).bashInteractive, or, without a
// <nixpkgs>, <gonixpkgs>' bashInteractive, bash or the stage-0 seed tools
// (which hold bin/bash).
func shellDerivation(st *eval.State, e *Env, es *evalStore, ls *local.Store) (string, error) {
	text := "(import <nixpkgs> {}).bashInteractive"
	if !hasNixpkgs(st, e.Dir) {
		text = "let p = import <gonixpkgs> {}; in p.bashInteractive or p.bash or p.stage0.seedTools"
	}
	expr, err := st.ParseString(text, e.Dir, ast.OriginString)
	if err != nil {
		return "", err
	}
	v, err := st.Eval(expr)
	if err != nil {
		return "", err
	}
	ds, err := st.GetDerivations(v, st.NewBindings(nil))
	if err != nil {
		return "", err
	}
	if len(ds) != 1 {
		return "", errors.New("the 'bashInteractive' attribute in <nixpkgs> did not evaluate to a derivation")
	}
	return ds[0].DrvPath()
}

// isTerminalReader reports whether r is a terminal (bash's test for an
// interactive shell looks at standard input and standard error).
func isTerminalReader(r io.Reader) bool {
	w, ok := r.(io.Writer)
	return ok && isTerminal(w)
}

// storeLinkTarget follows p's symbolic links (a GC root from
// nix-instantiate --add-root) until it names a path in storeDir, which
// need not exist on the host with a chroot store; otherwise p.
func storeLinkTarget(p, storeDir string) string {
	cur := p
	for range 40 {
		if strings.HasPrefix(cur, storeDir+"/") {
			return cur
		}
		t, err := os.Readlink(cur)
		if err != nil {
			return p
		}
		cur = absPathIn(filepath.Dir(cur), t)
	}
	return p
}
