package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"gonix/internal/build"
	"gonix/internal/cli/args"
	"gonix/internal/lang/eval"
	"gonix/internal/store/local"
)

// BuildOptions is a parsed nix-build command line (Nix 2.8's nix-build.cc
// without the nix-shell half).
type BuildOptions struct {
	InstantiateOptions
	// OutLink is -o/--out-link (default "result"); NoOutLink is --no-out-link.
	OutLink   string
	NoOutLink bool
	// Check is --check: build the requested derivations again and compare
	// the results with their valid outputs.
	Check bool
}

func parseBuild(argv []string) (*BuildOptions, legacyAction, error) {
	o := &BuildOptions{InstantiateOptions: InstantiateOptions{Settings: args.NewSettings()}, OutLink: "result"}
	act := actionRun
	var p args.Parser
	p.Add(args.CommonFlags(&o.Settings, "nix-build")...)
	p.Add(args.EvalFlags(&o.EvalArgs)...)
	p.Add(legacyFlags(&act)...)
	p.Add(
		args.Flag{Names: []string{"-"}, Legacy: true, Handle: args.SetTrue(&o.FromStdin)},
		args.Flag{Names: []string{"--expr", "-E"}, Legacy: true, Handle: args.SetTrue(&o.Exprs)},
		args.Flag{Names: []string{"--attr", "-A"}, Arity: 1, Legacy: true, Handle: args.AppendArg(&o.AttrPaths)},
		args.Flag{Names: []string{"--out-link", "-o"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			o.OutLink = v[0]
			return nil
		}},
		args.Flag{Names: []string{"--no-out-link", "--no-link"}, Legacy: true, Handle: args.SetTrue(&o.NoOutLink)},
		args.Flag{Names: []string{"--add-root"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			o.OutLink = v[0]
			return nil
		}},
		args.Flag{Names: []string{"--indirect"}, Legacy: true, Handle: args.SetTrue(&o.Indirect)},
		args.Flag{Names: []string{"--dry-run"}, Legacy: true, Handle: args.SetTrue(&o.DryRun)},
		args.Flag{Names: []string{"--check"}, Legacy: true, Handle: args.SetTrue(&o.Check)},
		args.Flag{Names: []string{"--repair"}, Legacy: true, Handle: args.SetTrue(&o.Repair)},
	)
	p.Positional = func(arg string) error {
		o.Files = append(o.Files, arg)
		return nil
	}
	err := p.Parse(argv)
	return o, act, err
}

// mainBuild is the nix-build command.
func mainBuild(e *Env, program string, argv []string) int {
	o, act, err := parseBuild(argv)
	if status, done := finishParse(e, program, &o.Settings, err); done && act == actionRun {
		return status
	}
	switch act {
	case actionHelp:
		fmt.Fprint(e.Stdout, buildHelp)
		return 0
	case actionVersion:
		printVersion(e, "nix-build")
		return 0
	}
	return runBuild(e, o)
}

const buildHelp = `Usage: nix-build [FLAGS...] [FILES...]

Evaluate the Nix expression in each FILE (default ./default.nix), build the
derivations it describes and print their output paths; ./result (and
result-2, result-dev, ...) link to them unless --no-out-link is given.

Flags:
  -A, --attr PATH        build the attribute at PATH
  -E, --expr             FILES are expressions
      --arg NAME EXPR    pass an argument to the top-level function
      --argstr NAME STR  the same, with a string
  -I PATH                add to the search path
  -o, --out-link NAME    name the result links NAME instead of result
      --no-out-link      make no result links
      --dry-run          show what would be built
      --check            build the derivations again and compare the
                         outputs with the valid ones (exit 104 if not equal)
  -j, --max-jobs N       run up to N builders at once
      --cores N          NIX_BUILD_CORES for builders
  -k, --keep-going       build what does not depend on a failure
  -K, --keep-failed      keep failed build directories
  -Q, --no-build-output  do not show build logs
      --option NAME VAL  set a configuration setting (sandbox, sandbox-paths, ...)
      --store DIR        use the chroot store at DIR
`

// buildTarget is one derivation output nix-build was asked for.
type buildTarget struct {
	drvPath, output, outPath string
}

func runBuild(e *Env, o *BuildOptions) int {
	fail := func(err error) int { return printEvalError(e.Stderr, err, o.ShowTrace, "nix-build") }
	ls, err := openLocalStore(e, &o.Settings, false)
	if err != nil {
		return fail(err)
	}
	defer ls.Close()
	es := &evalStore{ctx: e.Ctx(), s: ls}
	es.build = func(drvs []string) error { return realiseForEval(e, &o.Settings, ls, drvs) }
	st, err := newEvaluator(e, &o.Settings, o.SearchPath, es)
	if err != nil {
		return fail(err)
	}
	autoArgs, err := buildAutoArgs(st, e, &o.InstantiateOptions)
	if err != nil {
		return fail(err)
	}
	attrPaths := o.AttrPaths
	if len(attrPaths) == 0 {
		attrPaths = []string{""}
	}
	var targets []buildTarget
	for _, in := range exprInputs(st, e, &o.InstantiateOptions) {
		expr, err := in()
		if err != nil {
			return fail(err)
		}
		root, err := st.Eval(expr)
		if err != nil {
			return fail(err)
		}
		for _, ap := range attrPaths {
			v, err := st.FindAlongAttrPath(ap, autoArgs, root)
			if err == nil {
				err = st.Force(v)
			}
			var drvs []*eval.DrvInfo
			if err == nil {
				drvs, err = st.GetDerivations(v, autoArgs)
			}
			if err != nil {
				return fail(err)
			}
			for _, d := range drvs {
				t, err := drvTarget(d)
				if err != nil {
					return fail(err)
				}
				targets = append(targets, t)
			}
		}
	}
	if err := ls.Flush(e.Ctx()); err != nil {
		return fail(err)
	}
	var drvPaths []string
	for _, t := range targets {
		drvPaths = append(drvPaths, t.drvPath)
	}
	sched, err := newScheduler(e, &o.Settings, ls)
	if err != nil {
		return fail(err)
	}
	sched.Check = o.Check
	if o.DryRun {
		// Show what would be built, build nothing.
		sched.Runner = nil
		if err := sched.Plan(e.Ctx(), drvPaths); err != nil {
			return fail(err)
		}
		return 0
	}
	if err := sched.Realise(e.Ctx(), drvPaths); err != nil {
		if ev, ok := sched.Events.(*buildEvents); ok {
			ev.finish()
		}
		var f *build.Failure
		if errors.As(err, &f) {
			return reportBuildFailure(e, sched, f)
		}
		return fail(err)
	}
	if ev, ok := sched.Events.(*buildEvents); ok {
		ev.finish()
	}
	out := bufio.NewWriter(e.Stdout)
	defer out.Flush()
	if !o.NoOutLink {
		prefixes := map[string]string{}
		type link struct{ name, target string }
		var links []link
		seen := map[string]int{}
		for _, t := range targets {
			prefix, ok := prefixes[t.drvPath]
			if !ok {
				prefix = o.OutLink
				if len(prefixes) > 0 {
					prefix += "-" + strconv.Itoa(len(prefixes)+1)
				}
				prefixes[t.drvPath] = prefix
			}
			name := prefix
			if t.output != "out" {
				name += "-" + t.output
			}
			if i, ok := seen[name]; ok {
				links[i].target = t.outPath
				continue
			}
			seen[name] = len(links)
			links = append(links, link{name, t.outPath})
		}
		// Nix makes the links in the order of their names (a std::map).
		sortLinks := func(i, j int) bool { return links[i].name < links[j].name }
		sortSlice(len(links), sortLinks, func(i, j int) { links[i], links[j] = links[j], links[i] })
		for _, l := range links {
			root := l.name
			if !filepath.IsAbs(root) {
				root = filepath.Join(e.Dir, root)
			}
			if _, err := ls.AddPermRoot(e.Ctx(), l.target, root); err != nil {
				return fail(err)
			}
		}
	}
	for _, t := range targets {
		fmt.Fprintln(out, t.outPath)
	}
	return 0
}

func drvTarget(d *eval.DrvInfo) (buildTarget, error) {
	p, err := d.DrvPath()
	if err != nil {
		return buildTarget{}, err
	}
	outName, err := d.OutputName()
	if err != nil {
		return buildTarget{}, err
	}
	if outName == "" {
		outName = "out"
	}
	outPath, err := d.OutPath()
	if err != nil {
		return buildTarget{}, err
	}
	return buildTarget{drvPath: p, output: outName, outPath: outPath}, nil
}

func sortSlice(n int, less func(i, j int) bool, swap func(i, j int)) {
	for i := 1; i < n; i++ {
		for j := i; j > 0 && less(j, j-1); j-- {
			swap(j, j-1)
		}
	}
}

// buildEvents prints a scheduler's progress as Nix 2.8 does without a
// terminal: the plan, "building '…'..." and the builders' output line by
// line (unless -Q), and errors with the log's tail when it was not shown.
type buildEvents struct {
	mu       sync.Mutex
	stderr   io.Writer
	quiet    bool // -Q: logs not shown
	logLines int
	tails    map[string]*tailWriter
	// tty: stderr is a terminal; a status line ("[1/5 built, 2 running]
	// building NAME") stays below the scrolling output.
	tty     bool
	total   int
	built   int
	running []string // derivation names, in the order they started
	shown   bool     // the status line is on the screen
	// substitutions: how many will be copied, how many were
	toCopy, copied int
	// and how many NAR bytes
	bytesToCopy, bytesCopied uint64
}

// emitLocked writes text (whole lines) above the status line; b.mu held.
func (b *buildEvents) emitLocked(text string) {
	if !b.tty {
		io.WriteString(b.stderr, text)
		return
	}
	if b.shown {
		io.WriteString(b.stderr, "\r\x1b[K")
	}
	io.WriteString(b.stderr, text)
	b.shown = false
	switch {
	case len(b.running) > 0 && b.toCopy > 0:
		fmt.Fprintf(b.stderr, "[%d/%d built, %d/%d copied (%s), %d running] building %s", b.built, b.total, b.copied, b.toCopy, b.mib(), len(b.running), b.running[len(b.running)-1])
		b.shown = true
	case len(b.running) > 0:
		fmt.Fprintf(b.stderr, "[%d/%d built, %d running] building %s", b.built, b.total, len(b.running), b.running[len(b.running)-1])
		b.shown = true
	case b.toCopy > 0 && b.copied < b.toCopy:
		fmt.Fprintf(b.stderr, "[%d/%d copied (%s)]", b.copied, b.toCopy, b.mib())
		b.shown = true
	}
}

// finish removes the status line before the command's last words.
func (b *buildEvents) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shown {
		io.WriteString(b.stderr, "\r\x1b[K")
		b.shown = false
	}
}

func (b *buildEvents) WillBuild(drvs []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += len(drvs)
	var sb strings.Builder
	if len(drvs) == 1 {
		sb.WriteString("this derivation will be built:\n")
	} else {
		fmt.Fprintf(&sb, "these %d derivations will be built:\n", len(drvs))
	}
	for _, d := range drvs {
		fmt.Fprintf(&sb, "  %s\n", d)
	}
	b.emitLocked(sb.String())
}

// mib is "copied/total MiB" for the status line; b.mu held.
func (b *buildEvents) mib() string {
	return fmt.Sprintf("%.1f/%.1f MiB", float64(b.bytesCopied)/(1<<20), float64(b.bytesToCopy)/(1<<20))
}

// WillFetch prints the second half of Nix's printMissing.
func (b *buildEvents) WillFetch(paths []string, download, narSize uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.toCopy += len(paths)
	b.bytesToCopy += narSize
	var sb strings.Builder
	dl := float32(download) / (1024 * 1024)
	unpacked := float32(narSize) / (1024 * 1024)
	if len(paths) == 1 {
		fmt.Fprintf(&sb, "this path will be fetched (%.2f MiB download, %.2f MiB unpacked):\n", dl, unpacked)
	} else {
		fmt.Fprintf(&sb, "these %d paths will be fetched (%.2f MiB download, %.2f MiB unpacked):\n", len(paths), dl, unpacked)
	}
	for _, p := range paths {
		fmt.Fprintf(&sb, "  %s\n", p)
	}
	b.emitLocked(sb.String())
}

// Copying is Nix's "copying path '…' from '…'..." line.
func (b *buildEvents) Copying(path, from string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.emitLocked(fmt.Sprintf("copying path '%s' from '%s'...\n", path, from))
}

func (b *buildEvents) Copied(_ string, size uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.copied++
	b.bytesCopied += size
	b.emitLocked("")
}

func (b *buildEvents) Started(drv string) io.Writer {
	return b.started(drv, "building '%s'...\n")
}

// CheckStarted is Started for a --check build.
func (b *buildEvents) CheckStarted(drv string) io.Writer {
	return b.started(drv, "checking outputs of '%s'...\n")
}

func (b *buildEvents) started(drv, format string) io.Writer {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = append(b.running, drvName(drv))
	b.emitLocked(fmt.Sprintf(format, drv))
	t := &tailWriter{ev: b, max: b.logLines, name: drvName(drv)}
	b.tails[drv] = t
	return t
}

// stoppedLocked takes a derivation off the status line; b.mu held.
func (b *buildEvents) stoppedLocked(drv string) {
	name := drvName(drv)
	for i, n := range b.running {
		if n == name {
			b.running = append(b.running[:i], b.running[i+1:]...)
			break
		}
	}
}

func (b *buildEvents) Done(drv string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.built++
	b.stoppedLocked(drv)
	b.emitLocked("")
}

func (b *buildEvents) Failed(drv string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stoppedLocked(drv)
	b.emitLocked(fmt.Sprintf("error: %s\n", b.describeLocked(drv, err)))
}

// drvName is a .drv path's derivation name.
func drvName(drvPath string) string {
	base := filepath.Base(drvPath)
	if i := strings.IndexByte(base, '-'); i >= 0 {
		base = base[i+1:]
	}
	return strings.TrimSuffix(base, ".drv")
}

// describe is the text of a build error as Nix prints it after "error: ":
// with -Q a failed builder's message carries the last lines of its log.
func (b *buildEvents) describe(drv string, err error) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.describeLocked(drv, err)
}

func (b *buildEvents) describeLocked(drv string, err error) string {
	var be *build.BuilderError
	if errors.As(err, &be) && b.quiet {
		if t := b.tails[drv]; t != nil {
			t.flushPartial()
			if len(t.lines) > 0 {
				return strings.ReplaceAll(build.FormatFailure(err, t.lines, b.logLines), "\n", "\n       ")
			}
		}
	}
	return strings.ReplaceAll(err.Error(), "\n", "\n       ")
}

// tailWriter shows a builder's output line by line and keeps its last lines.
type tailWriter struct {
	ev      *buildEvents
	name    string
	max     int
	partial []byte
	lines   []string
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.ev.mu.Lock()
	defer t.ev.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			t.partial = append(t.partial, p...)
			break
		}
		t.line(string(append(t.partial, p[:i]...)))
		t.partial = t.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (t *tailWriter) line(l string) {
	if !t.ev.quiet {
		t.ev.emitLocked(l + "\n")
	}
	t.lines = append(t.lines, l)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// flushPartial ends an unterminated last line; ev.mu held.
func (t *tailWriter) flushPartial() {
	if len(t.partial) > 0 {
		t.line(string(t.partial))
		t.partial = nil
	}
}

// realiseForEval builds what an evaluation imports from (import from
// derivation), reporting the first failure as the evaluation's error.
func realiseForEval(e *Env, settings *args.Settings, ls *local.Store, drvs []string) error {
	sched, err := newScheduler(e, settings, ls)
	if err != nil {
		return err
	}
	return sched.Realise(e.Ctx(), drvs)
}

// reportBuildFailure prints the errors of the requested derivations that
// failed the way Nix 2.8's buildPaths does — the first error is held back,
// later ones printed as they are met, then the first, then "build of … failed"
// when more than one failed — and returns the exit status (100, or 102 after
// a fixed-output hash mismatch).
func reportBuildFailure(e *Env, sched *build.Scheduler, f *build.Failure) int {
	describe := func(drv string, err error) string {
		if ev, ok := sched.Events.(*buildEvents); ok {
			return ev.describe(drv, err)
		}
		return strings.ReplaceAll(err.Error(), "\n", "\n       ")
	}
	var held error
	var heldDrv string
	var paths []string
	for _, t := range f.Failed {
		paths = append(paths, t.DrvPath)
		if t.Err == nil {
			continue
		}
		if held != nil {
			fmt.Fprintf(e.Stderr, "error: %s\n", describe(t.DrvPath, t.Err))
		} else {
			held, heldDrv = t.Err, t.DrvPath
		}
	}
	printErr := func(err error) { fmt.Fprintf(e.Stderr, "error: %s\n", describe(heldDrv, err)) }
	sortStrings(paths)
	switch {
	case len(paths) == 1 && held != nil:
		printErr(held)
	case len(paths) > 0:
		if held != nil {
			printErr(held)
		}
		fmt.Fprintf(e.Stderr, "error: build of '%s' failed\n", strings.Join(paths, "', '"))
	}
	return f.ExitStatus()
}
