package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"gonix/internal/build"
	"gonix/internal/lang/ast"
	"gonix/internal/lang/eval"
	"gonix/internal/profile"
	"gonix/internal/store/local"
)

// buildenvNix is the user-environment builder expression of Nix 2.8
// (src/nix-env/buildenv.nix), our own rendering of it: its evaluation
// gives the derivation whose .drv must match Nix's byte for byte.
const buildenvNix = `{ derivations, manifest }:
derivation {
  name = "user-environment";
  system = "builtin";
  builder = "builtin:buildenv";
  inherit manifest;
  derivations = map (d: [ (d.meta.active or "true") (d.meta.priority or 5) (builtins.length d.outputs) ]
    ++ map (output: builtins.getAttr output d) d.outputs) derivations;
  preferLocalBuild = true;
  allowSubstitutes = false;
}`

// envOutput is one output of a user-environment element.
type envOutput struct{ name, path string }

// envElem is one element of a user environment (Nix's DrvInfo as
// nix-env keeps it in manifest.nix).
type envElem struct {
	name, system, outPath, drvPath string
	outputs                        []envOutput
	meta                           string // the printed meta set
	// metaVal is the evaluated meta set of an element read from an
	// expression (nil for one read back from a manifest): its attributes
	// are queried there, not by re-reading the printed text, which need
	// not parse (floats like 1e+07, functions).
	metaVal  *eval.Value
	attrPath string
}

// userEnv holds what nix-env needs while it reads and writes user
// environments: the store, an evaluator writing into it.
type userEnv struct {
	c  *nixEnvCmd
	ls *local.Store
	es *evalStore
	st *eval.State
}

func (c *nixEnvCmd) openUserEnv() (*userEnv, error) {
	ls, err := openLocalStore(c.e, &c.settings, false)
	if err != nil {
		return nil, err
	}
	es := &evalStore{ctx: c.e.Ctx(), s: ls}
	es.build = func(drvs []string) error { return realiseForEval(c.e, &c.settings, ls, drvs) }
	st, err := newEvaluator(c.e, &c.settings, c.eval.SearchPath, es)
	if err != nil {
		ls.Close()
		return nil, err
	}
	return &userEnv{c: c, ls: ls, es: es, st: st}, nil
}

func (u *userEnv) Close() { u.ls.Close() }

// attr forces v and returns its attribute name, forced (nil if absent).
func (u *userEnv) attr(v *eval.Value, name string) (*eval.Value, error) {
	if err := u.st.Force(v); err != nil {
		return nil, err
	}
	if v.Kind() != eval.KAttrs {
		return nil, nil
	}
	a := v.Attrs().Get(u.st.Symbols().Intern(name))
	if a == nil {
		return nil, nil
	}
	if err := u.st.Force(a.Val); err != nil {
		return nil, err
	}
	return a.Val, nil
}

func (u *userEnv) attrString(v *eval.Value, name string) (string, error) {
	a, err := u.attr(v, name)
	if err != nil || a == nil {
		return "", err
	}
	if a.Kind() != eval.KString {
		return "", nil
	}
	return a.StrS(), nil
}

// elemOf reads a derivation value as a user-environment element.
func (u *userEnv) elemOf(v *eval.Value, attrPath string) (envElem, error) {
	el := envElem{attrPath: attrPath}
	var err error
	if el.name, err = u.attrString(v, "name"); err != nil {
		return el, err
	}
	if el.system, err = u.attrString(v, "system"); err != nil {
		return el, err
	}
	if sv, _ := u.attr(v, "system"); sv == nil {
		el.system = "unknown" // DrvInfo::querySystem
	}
	if el.outPath, err = u.attrString(v, "outPath"); err != nil {
		return el, err
	}
	if el.drvPath, err = u.attrString(v, "drvPath"); err != nil {
		return el, err
	}
	meta, err := u.attr(v, "meta")
	if err != nil {
		return el, err
	}
	el.meta = "{ }"
	var toInstall []string
	if meta != nil && meta.Kind() == eval.KAttrs {
		if err := u.st.DeepForce(meta); err != nil {
			return el, err
		}
		el.meta = u.st.PrintString(meta)
		el.metaVal = meta
		if oti, _ := u.attr(meta, "outputsToInstall"); oti != nil && oti.Kind() == eval.KList {
			for _, o := range oti.Elems() {
				if o.Kind() == eval.KString {
					toInstall = append(toInstall, o.StrS())
				}
			}
		}
	}
	outs, err := u.attr(v, "outputs")
	if err != nil {
		return el, err
	}
	var names []string
	if outs != nil && outs.Kind() == eval.KList {
		for _, o := range outs.Elems() {
			if err := u.st.Force(o); err != nil {
				return el, err
			}
			names = append(names, o.StrS())
		}
	}
	if len(names) == 0 {
		names = []string{"out"}
	}
	if len(toInstall) == 0 {
		on, _ := u.attrString(v, "outputName")
		if on == "" {
			on = "out"
		}
		toInstall = []string{on}
	}
	want := map[string]bool{}
	for _, n := range toInstall {
		want[n] = true
	}
	for _, n := range names {
		if !want[n] {
			continue
		}
		p := el.outPath
		if ov, err := u.attr(v, n); err != nil {
			return el, err
		} else if ov != nil {
			if s, err := u.attrString(ov, "outPath"); err != nil {
				return el, err
			} else if s != "" {
				p = s
			}
		}
		el.outputs = append(el.outputs, envOutput{n, p})
	}
	sort.Slice(el.outputs, func(i, j int) bool { return el.outputs[i].name < el.outputs[j].name })
	return el, nil
}

// currentUserEnv is the logical store path of the profile's current user
// environment ("" when the profile does not exist).
func (u *userEnv) currentUserEnv() (string, error) {
	if _, err := os.Lstat(u.c.profile); err != nil {
		return "", nil
	}
	root := u.ls.RealStoreDir()
	root = strings.TrimSuffix(root, u.ls.StoreDir())
	return followLinksToStorePath(u.c.profile, u.ls.StoreDir(), root)
}

// queryInstalled reads the elements of the profile's manifest.nix.
func (u *userEnv) queryInstalled() ([]envElem, error) {
	env, err := u.currentUserEnv()
	if err != nil || env == "" {
		return nil, err
	}
	real := u.ls.RealPath(env)
	if _, err := os.Lstat(real + "/manifest.json"); err == nil {
		return nil, fmt.Errorf("profile '%s' is incompatible with 'nix-env'; please use 'nix profile' instead", env)
	}
	mf := real + "/manifest.nix"
	t, err := os.Readlink(mf)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil && strings.HasPrefix(t, u.ls.StoreDir()+"/") {
		mf = u.ls.RealPath(t)
	}
	expr, err := u.st.ParseFile(mf)
	if err != nil {
		return nil, err
	}
	v, err := u.st.Eval(expr)
	if err != nil {
		return nil, err
	}
	return u.elemsOf(v, "")
}

// elemsOf finds the derivations in v (Nix's getDerivations).
func (u *userEnv) elemsOf(v *eval.Value, attrPath string) ([]envElem, error) {
	empty := u.st.NewBindings(nil)
	drvs, err := u.st.GetDerivations(v, empty)
	if err != nil {
		return nil, err
	}
	var out []envElem
	for i, d := range drvs {
		var dv *eval.Value
		if err := u.st.Force(v); err != nil {
			return nil, err
		}
		switch {
		case v.Kind() == eval.KList:
			dv = v.Elems()[indexOfAttrPath(d.AttrPath, i)]
		default:
			dv, err = u.st.FindAlongAttrPath(d.AttrPath, empty, v)
			if err != nil {
				return nil, err
			}
		}
		el, err := u.elemOf(dv, joinAttrPath(attrPath, d.AttrPath))
		if err != nil {
			return nil, err
		}
		out = append(out, el)
	}
	return out, nil
}

func indexOfAttrPath(p string, def int) int {
	if n, err := strconv.Atoi(p); err == nil {
		return n
	}
	return def
}

func joinAttrPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// printNixString renders s as the Nix value printer does.
func printNixString(sb *strings.Builder, s string) {
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '"', '\\':
			sb.WriteByte('\\')
			sb.WriteByte(ch)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				sb.WriteString(`\$`)
			} else {
				sb.WriteByte('$')
			}
		default:
			sb.WriteByte(ch)
		}
	}
	sb.WriteByte('"')
}

// manifestText renders the elements as 2.8's createUserEnv writes
// env-manifest.nix (keep-env-derivations off).
func manifestText(elems []envElem) string {
	var sb strings.Builder
	sb.WriteString("[ ")
	for _, el := range elems {
		type kv struct{ k, v string }
		str := func(s string) string {
			var b strings.Builder
			printNixString(&b, s)
			return b.String()
		}
		attrs := []kv{
			{"meta", el.meta},
			{"name", str(el.name)},
			{"outPath", str(el.outPath)},
			{"type", str("derivation")},
		}
		if el.system != "" {
			attrs = append(attrs, kv{"system", str(el.system)})
		}
		var outs strings.Builder
		outs.WriteString("[ ")
		for _, o := range el.outputs {
			outs.WriteString(str(o.name) + " ")
			attrs = append(attrs, kv{o.name, "{ outPath = " + str(o.path) + "; }"})
		}
		outs.WriteString("]")
		attrs = append(attrs, kv{"outputs", outs.String()})
		sort.SliceStable(attrs, func(i, j int) bool { return attrs[i].k < attrs[j].k })
		sb.WriteString("{ ")
		for _, a := range attrs {
			sb.WriteString(a.k + " = " + a.v + "; ")
		}
		sb.WriteString("} ")
	}
	sb.WriteString("]")
	return sb.String()
}

// quietPlan is the scheduler's events without the "will be built" list
// (Nix's buildPaths does not print it; printMissing does, beforehand).
type quietPlan struct{ build.Events }

func (quietPlan) WillBuild([]string) {}

// realise builds drvPaths with the command's scheduler.
func (u *userEnv) realise(drvPaths []string, quiet bool) error {
	if len(drvPaths) == 0 {
		return nil
	}
	if err := u.ls.Flush(u.c.e.Ctx()); err != nil {
		return err
	}
	sched, err := newScheduler(u.c.e, &u.c.settings, u.ls)
	if err != nil {
		return err
	}
	if quiet {
		sched.Events = quietPlan{sched.Events}
	}
	err = sched.Realise(u.c.e.Ctx(), drvPaths)
	if ev, ok := sched.Events.(*buildEvents); ok {
		ev.finish()
	} else if q, ok := sched.Events.(quietPlan); ok {
		if ev, ok := q.Events.(*buildEvents); ok {
			ev.finish()
		}
	}
	var f *build.Failure
	if errors.As(err, &f) {
		return &exitError{status: reportBuildFailure(u.c.e, sched, f)}
	}
	return err
}

// exitError is a failure already reported on stderr.
type exitError struct{ status int }

func (e *exitError) Error() string { return "exit status " + strconv.Itoa(e.status) }

// createUserEnv is 2.8's createUserEnv: build the elements, write the
// manifest, instantiate and build the user environment, make it the
// profile's new generation.
func (u *userEnv) createUserEnv(elems []envElem) error {
	var drvs []string
	for _, el := range elems {
		if el.drvPath != "" {
			drvs = append(drvs, el.drvPath)
		}
	}
	if err := u.realise(drvs, false); err != nil {
		return err
	}
	var refs []string
	for _, el := range elems {
		for _, o := range el.outputs {
			refs = append(refs, o.path)
		}
	}
	sort.Strings(refs)
	text := manifestText(elems)
	mpath, err := u.es.AddText("env-manifest.nix", text, dedup(refs))
	if err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("(" + buildenvNix + ") { derivations = " + text + "; manifest = builtins.storePath ")
	printNixString(&sb, mpath)
	sb.WriteString("; }")
	expr, err := u.st.ParseString(sb.String(), "/", ast.OriginString)
	if err != nil {
		return err
	}
	v, err := u.st.Eval(expr)
	if err != nil {
		return err
	}
	drvPath, err := u.attrString(v, "drvPath")
	if err != nil {
		return err
	}
	outPath, err := u.attrString(v, "outPath")
	if err != nil {
		return err
	}
	if err := u.realise([]string{drvPath}, true); err != nil {
		return err
	}
	_, err = profile.Set(u.c.e.Ctx(), u.c.profile, outPath, u.ls)
	return err
}

func dedup(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// parseDrvName splits "foo-1.0" at the first dash followed by a non-letter.
func parseDrvName(s string) (name, version string) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '-' {
			c := s[i+1]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return s[:i], s[i+1:]
			}
		}
	}
	return s, ""
}

// drvNameMatches is DrvName::matches: the selector's name ("*" for any)
// and, when it has one, its version must be equal.
func drvNameMatches(selector, name string) bool {
	sn, sv := parseDrvName(selector)
	en, ev := parseDrvName(name)
	if sn != "*" && sn != en {
		return false
	}
	return sv == "" || sv == ev
}

// partition is libstdc++'s std::partition for bidirectional iterators
// (not stable): elements for which keep holds come first; it returns
// the split point.
func partition(el []envElem, keep func(envElem) bool) int {
	first, last := 0, len(el)
	for {
		for {
			if first == last {
				return first
			}
			if keep(el[first]) {
				first++
			} else {
				break
			}
		}
		last--
		for {
			if first == last {
				return first
			}
			if !keep(el[last]) {
				last--
			} else {
				break
			}
		}
		el[first], el[last] = el[last], el[first]
		first++
	}
}

func infof(w io.Writer, format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
