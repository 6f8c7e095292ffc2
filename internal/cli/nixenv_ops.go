package cli

import (
	"bufio"
	"fmt"
	"sort"
	"strings"

	"gonix/internal/cli/args"
	"gonix/internal/format/derivation"
	"gonix/internal/lang/ast"
	"gonix/internal/lang/eval"
)

// loadSource evaluates the -f file or ~/.nix-defexpr (auto-called with
// --arg/--argstr).
func (u *userEnv) loadSource() (*eval.Value, *eval.Bindings, error) {
	c := u.c
	autoArgs, err := buildAutoArgs(u.st, c.e, &InstantiateOptions{EvalArgs: c.eval})
	if err != nil {
		return nil, nil, err
	}
	v, err := u.loadSourceExpr(c.sourceExprPath())
	if err != nil {
		return nil, nil, err
	}
	v, err = u.st.AutoCall(autoArgs, v)
	if err != nil {
		return nil, nil, err
	}
	return v, autoArgs, nil
}

// availableElems are all derivations of the -f file.
func (u *userEnv) availableElems() ([]envElem, error) {
	v, _, err := u.loadSource()
	if err != nil {
		return nil, err
	}
	return u.elemsOf(v, "")
}

// queryInstSources is 2.8's queryInstSources for store paths, attribute
// paths (-A) and name selectors on the -f file.
func (u *userEnv) queryInstSources(byAttr bool, sel []string) ([]envElem, error) {
	c := u.c
	if !byAttr && len(sel) > 0 && strings.Contains(sel[0], "/") {
		var out []envElem
		root := strings.TrimSuffix(u.ls.RealStoreDir(), u.ls.StoreDir())
		for _, a := range sel {
			sp, err := followLinksToStorePath(absPathIn(c.e.Dir, a), u.ls.StoreDir(), root)
			if err != nil {
				return nil, err
			}
			name := sp[len(u.ls.StoreDir())+34:] // after "/<hash>-"
			el := envElem{name: name, meta: "{ }", outPath: sp}
			if strings.HasSuffix(sp, ".drv") {
				data, err := u.es.ReadDerivation(sp)
				if err != nil {
					return nil, err
				}
				d, err := derivation.ParseATerm(data)
				if err != nil {
					return nil, fmt.Errorf("parsing derivation '%s': %w", sp, err)
				}
				el.drvPath = sp
				el.outPath = d.Outputs["out"].Path
			}
			el.outputs = []envOutput{{"out", el.outPath}}
			out = append(out, el)
		}
		return out, nil
	}
	if len(sel) == 0 {
		return nil, nil
	}
	v, autoArgs, err := u.loadSource()
	if err != nil {
		return nil, err
	}
	if byAttr {
		var out []envElem
		for _, a := range sel {
			av, err := u.st.FindAlongAttrPath(a, autoArgs, v)
			if err != nil {
				return nil, err
			}
			els, err := u.elemsOf(av, a)
			if err != nil {
				return nil, err
			}
			out = append(out, els...)
		}
		return out, nil
	}
	all, err := u.elemsOf(v, "")
	if err != nil {
		return nil, err
	}
	done := make([]bool, len(all))
	var out []envElem
	for _, s := range sel {
		var matches []int
		for i, el := range all {
			if drvNameMatches(s, el.name) {
				matches = append(matches, i)
			}
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("selector '%s' matches no derivations", s)
		}
		if matches, err = u.pickNewestOnly(all, matches); err != nil {
			return nil, err
		}
		for _, i := range matches {
			if !done[i] {
				done[i] = true
				out = append(out, all[i])
			}
		}
	}
	return out, nil
}

// pickNewestOnly is 2.8's pickNewestOnly: of the matches sharing a
// package name, the one for this system, else of the highest priority
// (lowest meta.priority), else of the newest version, else the first;
// the result ordered by package name.
func (u *userEnv) pickNewestOnly(all []envElem, matches []int) ([]int, error) {
	thisSystem, err := u.currentSystem()
	if err != nil {
		return nil, err
	}
	newest := map[string]int{}
	multiple := map[string]bool{}
	for _, i := range matches {
		el := all[i]
		name, version := parseDrvName(el.name)
		cmp := 1
		if j, ok := newest[name]; ok {
			other := all[j]
			switch {
			case el.system == other.system:
				cmp = 0
			case el.system == thisSystem:
				cmp = 1
			case other.system == thisSystem:
				cmp = -1
			default:
				cmp = 0
			}
			if cmp == 0 {
				p1, err := u.metaInt(el, "priority", 0)
				if err != nil {
					return nil, err
				}
				p2, err := u.metaInt(other, "priority", 0)
				if err != nil {
					return nil, err
				}
				cmp = cmpInt64(p2, p1)
			}
			if cmp == 0 {
				_, v2 := parseDrvName(other.name)
				cmp = compareVersions(version, v2)
			}
		}
		if cmp > 0 {
			newest[name] = i
			delete(multiple, el.name)
		} else if cmp == 0 {
			multiple[el.name] = true
		}
	}
	names := make([]string, 0, len(newest))
	for n := range newest {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]int, 0, len(names))
	for _, n := range names {
		// 2.8 records the full name but asks for the package name, so
		// only version-less names are warned about.
		if multiple[n] {
			fmt.Fprintf(u.c.e.Stderr, "warning: there are multiple derivations named '%s'; using the first one\n", n)
		}
		out = append(out, newest[n])
	}
	return out, nil
}

// currentSystem is the system the evaluator builds for
// (builtins.currentSystem, Nix's settings.thisSystem).
func (u *userEnv) currentSystem() (string, error) {
	expr, err := u.st.ParseString("builtins.currentSystem", u.c.e.Dir, ast.OriginString)
	if err != nil {
		return "", err
	}
	v, err := u.st.Eval(expr)
	if err != nil {
		return "", err
	}
	if err := u.st.Force(v); err != nil {
		return "", err
	}
	return v.StrS(), nil
}

func (c *nixEnvCmd) opInstall() error {
	byAttr, preserve, removeAll := false, false, false
	for _, f := range c.opFlags {
		switch f {
		case "--attr", "-A":
			byAttr = true
		case "--preserve-installed", "-P":
			preserve = true
		case "--remove-all", "-r":
			removeAll = true
		default:
			return args.Usagef("unknown flag '%s'", f)
		}
	}
	u, err := c.openUserEnv()
	if err != nil {
		return err
	}
	defer u.Close()
	newElems, err := u.queryInstSources(byAttr, c.opArgs)
	if err != nil {
		return err
	}
	newNames := map[string]bool{}
	for _, el := range newElems {
		n, _ := parseDrvName(el.name)
		newNames[n] = true
	}
	all := append([]envElem(nil), newElems...)
	if !removeAll {
		installed, err := u.queryInstalled()
		if err != nil {
			return err
		}
		for _, el := range installed {
			n, _ := parseDrvName(el.name)
			if !preserve && newNames[n] {
				infof(c.e.Stderr, "replacing old '%s'", el.name)
			} else {
				all = append(all, el)
			}
		}
		for _, el := range newElems {
			infof(c.e.Stderr, "installing '%s'", el.name)
		}
	}
	if c.dryRun {
		return nil
	}
	return u.createUserEnv(all)
}

func (c *nixEnvCmd) opUninstall() error {
	if len(c.opFlags) > 0 {
		return args.Usagef("unknown flag '%s'", c.opFlags[0])
	}
	u, err := c.openUserEnv()
	if err != nil {
		return err
	}
	defer u.Close()
	work, err := u.queryInstalled()
	if err != nil {
		return err
	}
	root := strings.TrimSuffix(u.ls.RealStoreDir(), u.ls.StoreDir())
	for _, sel := range c.opArgs {
		var keep func(envElem) bool
		if strings.Contains(sel, "/") {
			sp, err := followLinksToStorePath(absPathIn(c.e.Dir, sel), u.ls.StoreDir(), root)
			if err != nil {
				return err
			}
			keep = func(el envElem) bool { return el.outPath != sp }
		} else {
			keep = func(el envElem) bool { return !drvNameMatches(sel, el.name) }
		}
		split := partition(work, keep)
		if split == len(work) {
			fmt.Fprintf(c.e.Stderr, "warning: selector '%s' matched no installed derivations\n", sel)
		}
		for _, el := range work[split:] {
			infof(c.e.Stderr, "uninstalling '%s'", el.name)
		}
		work = work[:split]
	}
	if c.dryRun {
		return nil
	}
	return u.createUserEnv(work)
}

func (c *nixEnvCmd) opQuery() error {
	available, attrPath, noName, outPath, jsonOut := false, false, false, false, false
	drvPath, system, meta := false, false, false
	for i := 0; i < len(c.opFlags); i++ {
		switch f := c.opFlags[i]; f {
		case "--installed":
			available = false
		case "--available", "-a":
			available = true
		case "--attr-path", "-P":
			attrPath = true
		case "--no-name":
			noName = true
		case "--out-path":
			outPath = true
		case "--drv-path":
			drvPath = true
		case "--system":
			system = true
		case "--meta":
			meta = true
		case "--json":
			jsonOut = true
		default:
			return args.Usagef("unknown flag '%s'", f)
		}
	}
	if attrPath && !available {
		return args.Usagef("--attr-path(-P) only works with --available")
	}
	if len(c.opArgs) > 0 {
		return fmt.Errorf("'nix-env -q' with selectors is not implemented in gonix yet")
	}
	u, err := c.openUserEnv()
	if err != nil {
		return err
	}
	defer u.Close()
	var elems []envElem
	var root *eval.Value
	// -qa over channels answers from an index when it needs no more than
	// names, attribute paths and systems (nixchannel_index.go).
	indexed := false
	index := ""
	if available && !jsonOut && !outPath && !drvPath && !meta {
		index = u.qaIndexPath()
		elems, indexed = loadQAIndex(index)
	}
	if available && !indexed {
		if root, _, err = u.loadSource(); err == nil {
			elems, err = u.elemsOf(root, "")
		}
		if err == nil {
			saveQAIndex(index, elems)
		}
	} else if !available {
		elems, err = u.queryInstalled()
	}
	if err != nil {
		return err
	}
	sort.SliceStable(elems, func(i, j int) bool { return lessFold(elems[i].name, elems[j].name) })
	w := bufio.NewWriter(c.e.Stdout)
	defer w.Flush()
	if jsonOut {
		if !available && len(elems) > 0 {
			if root, err = u.installedRoot(); err != nil {
				return err
			}
		}
		return u.queryJSON(w, root, elems, outPath, meta)
	}
	var table [][]string
	for _, el := range elems {
		var row []string
		if attrPath {
			row = append(row, el.attrPath)
		}
		if !noName {
			row = append(row, el.name)
		}
		if system {
			row = append(row, el.system)
		}
		if drvPath {
			if el.drvPath == "" {
				row = append(row, "-")
			} else {
				row = append(row, el.drvPath)
			}
		}
		if outPath {
			var s strings.Builder
			for _, o := range el.outputs {
				if s.Len() > 0 {
					s.WriteByte(';')
				}
				if o.name != "out" {
					s.WriteString(o.name + "=")
				}
				s.WriteString(o.path)
			}
			row = append(row, s.String())
		}
		table = append(table, row)
	}
	printTable(w, table)
	return nil
}

// lessFold is 2.8's cmpElemByName: byte-wise, letters compared upper-cased.
func lessFold(a, b string) bool {
	up := func(c byte) byte {
		if c >= 'a' && c <= 'z' {
			return c - 32
		}
		return c
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		if x, y := up(a[i]), up(b[i]); x != y {
			return x < y
		}
	}
	return len(a) < len(b)
}

// printTable is 2.8's printTable: columns padded to their widest cell
// plus two spaces, the last one not padded.
func printTable(w *bufio.Writer, table [][]string) {
	if len(table) == 0 {
		return
	}
	n := len(table[0])
	widths := make([]int, n)
	for _, row := range table {
		for i, s := range row {
			if len(s) > widths[i] {
				widths[i] = len(s)
			}
		}
	}
	for _, row := range table {
		for i, s := range row {
			s = strings.ReplaceAll(s, "\n", " ")
			w.WriteString(s)
			if i < n-1 {
				w.WriteString(strings.Repeat(" ", widths[i]-len(s)+2))
			}
		}
		w.WriteByte('\n')
	}
}
