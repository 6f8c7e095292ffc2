package cli

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonix/internal/cli/args"
	"gonix/internal/format/derivation"
	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
)

// Nix's tree drawing characters (src/libutil/util.hh).
const (
	treeConn = "├───"
	treeLast = "└───"
	treeLine = "│   "
	treeNull = "    "
)

// readDerivation is Nix's derivationFromPath: the path must be valid (Nix's
// ensurePath would first try to substitute a missing .drv; gonix does not
// substitute derivations here, only build outputs and plain paths).
func (c *nixStoreCmd) readDerivation(drvPath string) (*derivation.Derivation, error) {
	st, err := c.store()
	if err != nil {
		return nil, err
	}
	ok, err := st.IsValidPath(c.e.Ctx(), drvPath)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("path '%s' does not exist and cannot be created", drvPath)
	}
	data, err := os.ReadFile(st.RealPath(drvPath))
	if err != nil {
		return nil, fmt.Errorf("reading derivation '%s': %s", drvPath, errnoString(err))
	}
	d, err := derivation.ParseATerm(data)
	if err != nil {
		return nil, fmt.Errorf("error parsing derivation '%s': %w", drvPath, err)
	}
	return d, nil
}

// maybeUseOutputs is Nix's maybeUseOutputs: a derivation stands for its
// output paths (as the .drv file names them) when useOutput is set.
func (c *nixStoreCmd) maybeUseOutputs(p string, useOutput bool) ([]string, error) {
	if !useOutput || !strings.HasSuffix(p, ".drv") {
		return []string{p}, nil
	}
	d, err := c.readDerivation(p)
	if err != nil {
		return nil, err
	}
	var outs []string
	for _, name := range d.OutputNames() {
		o := d.Outputs[name]
		if o.Path == "" {
			return nil, args.Usagef("Cannot use output path of floating content-addressed derivation until we know what it is (e.g. by building it)")
		}
		outs = append(outs, o.Path)
	}
	slices.Sort(outs)
	return slices.Compact(outs), nil
}

// opQuery is nix-store --query/-q.
func (c *nixStoreCmd) opQuery() error {
	query := ""
	useOutput, includeOutputs := false, false
	bindingName := ""
	for _, f := range c.opFlags {
		prev := query
		switch f {
		case "--outputs":
			query = "outputs"
		case "--requisites", "-R":
			query = "requisites"
		case "--references":
			query = "references"
		case "--referrers", "--referers":
			query = "referrers"
		case "--referrers-closure", "--referers-closure":
			query = "referrers-closure"
		case "--deriver", "-d":
			query = "deriver"
		case "--binding", "-b":
			// Nix takes the binding name from the front of the arguments.
			if len(c.opArgs) == 0 {
				return args.Usagef("expected binding name")
			}
			bindingName = c.opArgs[0]
			c.opArgs = c.opArgs[1:]
			query = "binding"
		case "--hash":
			query = "hash"
		case "--size":
			query = "size"
		case "--tree":
			query = "tree"
		case "--graph":
			query = "graph"
		case "--graphml":
			query = "graphml"
		case "--resolve":
			query = "resolve"
		case "--roots":
			query = "roots"
		case "--use-output", "-u":
			useOutput = true
		case "--force-realise", "--force-realize", "-f":
			return fmt.Errorf("'nix-store --query %s' is not implemented in gonix yet (it needs builds)", f)
		case "--include-outputs":
			includeOutputs = true
		default:
			return args.Usagef("unknown flag '%s'", f)
		}
		if prev != "" && prev != query {
			return args.Usagef("query type '%s' conflicts with earlier flag", f)
		}
	}
	if query == "" {
		query = "outputs"
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	ctx := c.e.Ctx()

	// roots collects the arguments, each through maybeUseOutputs.
	roots := func(useOutput bool) ([]string, error) {
		var out []string
		for _, a := range c.opArgs {
			p, err := c.followLinksToStorePath(a)
			if err != nil {
				return nil, err
			}
			ps, err := c.maybeUseOutputs(p, useOutput)
			if err != nil {
				return nil, err
			}
			out = append(out, ps...)
		}
		slices.Sort(out)
		return slices.Compact(out), nil
	}

	switch query {
	case "outputs":
		for _, a := range c.opArgs {
			p, err := c.followLinksToStorePath(a)
			if err != nil {
				return err
			}
			outs, err := c.maybeUseOutputs(p, true)
			if err != nil {
				return err
			}
			for _, o := range outs {
				c.println(o)
			}
		}

	case "requisites", "references", "referrers", "referrers-closure":
		set := map[string]bool{}
		for _, a := range c.opArgs {
			p, err := c.followLinksToStorePath(a)
			if err != nil {
				return err
			}
			ps, err := c.maybeUseOutputs(p, useOutput)
			if err != nil {
				return err
			}
			for _, j := range ps {
				var add []string
				switch query {
				case "requisites":
					add, err = store.ComputeClosure(ctx, st, []string{j}, false, includeOutputs, false)
				case "references":
					var info *store.PathInfo
					info, err = st.QueryPathInfo(ctx, j)
					if err == nil {
						add = info.References
					}
				case "referrers":
					add, err = st.QueryReferrers(ctx, j)
				case "referrers-closure":
					add, err = store.ComputeClosure(ctx, st, []string{j}, true, false, false)
				}
				if err != nil {
					return err
				}
				for _, q := range add {
					set[q] = true
				}
			}
		}
		paths := make([]string, 0, len(set))
		for p := range set {
			paths = append(paths, p)
		}
		sorted, err := store.TopoSort(ctx, st, paths)
		if err != nil {
			return err
		}
		for i := len(sorted) - 1; i >= 0; i-- {
			c.println(sorted[i])
		}

	case "deriver":
		for _, a := range c.opArgs {
			p, err := c.followLinksToStorePath(a)
			if err != nil {
				return err
			}
			info, err := st.QueryPathInfo(ctx, p)
			if err != nil {
				return err
			}
			if info.Deriver == "" {
				c.println("unknown-deriver")
			} else {
				c.println(info.Deriver)
			}
		}

	case "binding":
		for _, a := range c.opArgs {
			p, err := c.followLinksToStorePath(a)
			if err != nil {
				return err
			}
			if !strings.HasSuffix(p, ".drv") {
				info, err := st.QueryPathInfo(ctx, p)
				if err != nil {
					return err
				}
				if info.Deriver == "" {
					return fmt.Errorf("deriver of path '%s' is not known", p)
				}
				p = info.Deriver
			}
			d, err := c.readDerivation(p)
			if err != nil {
				return err
			}
			v, ok := d.Env[bindingName]
			if !ok {
				return fmt.Errorf("derivation '%s' has no environment binding named '%s'", p, bindingName)
			}
			c.println(v)
		}

	case "hash", "size":
		for _, a := range c.opArgs {
			p, err := c.followLinksToStorePath(a)
			if err != nil {
				return err
			}
			ps, err := c.maybeUseOutputs(p, useOutput)
			if err != nil {
				return err
			}
			for _, j := range ps {
				info, err := st.QueryPathInfo(ctx, j)
				if err != nil {
					return err
				}
				if query == "hash" {
					c.println(info.NarHash.Encode(hash.Base32, true))
				} else {
					c.println(strconv.FormatUint(info.NarSize, 10))
				}
			}
		}

	case "tree":
		done := map[string]bool{}
		for _, a := range c.opArgs {
			p, err := c.followLinksToStorePath(a)
			if err != nil {
				return err
			}
			if err := c.printTree(st, p, "", "", done); err != nil {
				return err
			}
		}

	case "graph", "graphml":
		rs, err := roots(useOutput)
		if err != nil {
			return err
		}
		if query == "graph" {
			return c.printDotGraph(st, rs)
		}
		return c.printGraphML(st, rs)

	case "resolve":
		for _, a := range c.opArgs {
			p, err := c.followLinksToStorePath(a)
			if err != nil {
				return err
			}
			c.println(p)
		}

	case "roots":
		return c.queryRoots(roots(useOutput))
	}
	return nil
}

// printTree is Nix's printTree: each path's references, in reverse
// topological order, below it; a path already shown is marked "[...]".
func (c *nixStoreCmd) printTree(st store.Store, p, firstPad, tailPad string, done map[string]bool) error {
	if done[p] {
		c.println(firstPad + p + " [...]")
		return nil
	}
	done[p] = true
	c.println(firstPad + p)
	ctx := c.e.Ctx()
	info, err := st.QueryPathInfo(ctx, p)
	if err != nil {
		return err
	}
	sorted, err := store.TopoSort(ctx, st, info.References)
	if err != nil {
		return err
	}
	slices.Reverse(sorted)
	for n, r := range sorted {
		last := n+1 == len(sorted)
		first, tail := tailPad+treeConn, tailPad+treeLine
		if last {
			first, tail = tailPad+treeLast, tailPad+treeNull
		}
		if err := c.printTree(st, r, first, tail, done); err != nil {
			return err
		}
	}
	return nil
}

// baseName is a store path without its directory (Nix's StorePath::to_string).
func baseName(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}

// pathName is a store path's name part.
func pathName(p string) string {
	b := baseName(p)
	if i := strings.IndexByte(b, '-'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// workList is a sorted set of store paths, taken smallest first, as Nix's
// graph printers use a std::set.
type workList struct{ paths []string }

func (w *workList) insert(p string) {
	i, found := slices.BinarySearch(w.paths, p)
	if !found {
		w.paths = slices.Insert(w.paths, i, p)
	}
}

func (w *workList) pop() string {
	p := w.paths[0]
	w.paths = w.paths[1:]
	return p
}

// printDotGraph is Nix's printDotGraph (src/nix-store/dotgraph.cc).
func (c *nixStoreCmd) printDotGraph(st store.Store, roots []string) error {
	colours := [...]string{"black", "red", "green", "blue", "magenta", "burlywood"}
	n := 0
	w := &workList{paths: roots}
	done := map[string]bool{}
	c.out.WriteString("digraph G {\n")
	for len(w.paths) > 0 {
		p := w.pop()
		if done[p] {
			continue
		}
		done[p] = true
		// Nix's dotQuote adds quotes and escapes nothing.
		fmt.Fprintf(c.out, "\"%s\" [label = \"%s\", shape = box, style = filled, fillcolor = \"#ff0000\"];\n", baseName(p), pathName(p))
		info, err := st.QueryPathInfo(c.e.Ctx(), p)
		if err != nil {
			return err
		}
		for _, r := range info.References {
			if r == p {
				continue
			}
			w.insert(r)
			fmt.Fprintf(c.out, "\"%s\" -> \"%s\" [color = \"%s\"];\n", baseName(r), baseName(p), colours[n%len(colours)])
			n++
		}
	}
	c.out.WriteString("}\n")
	return nil
}

// printGraphML is Nix's printGraphML (src/nix-store/graphml.cc).
func (c *nixStoreCmd) printGraphML(st store.Store, roots []string) error {
	c.out.WriteString("<?xml version='1.0' encoding='utf-8'?>\n" +
		"<graphml xmlns='http://graphml.graphdrawing.org/xmlns'\n" +
		"    xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'\n" +
		"    xsi:schemaLocation='http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd'>\n" +
		"<key id='narSize' for='node' attr.name='narSize' attr.type='int'/>" +
		"<key id='name' for='node' attr.name='name' attr.type='string'/>" +
		"<key id='type' for='node' attr.name='type' attr.type='string'/>" +
		"<graph id='G' edgedefault='directed'>\n")
	w := &workList{paths: roots}
	done := map[string]bool{}
	for len(w.paths) > 0 {
		p := w.pop()
		if done[p] {
			continue
		}
		done[p] = true
		info, err := st.QueryPathInfo(c.e.Ctx(), p)
		if err != nil {
			return err
		}
		// Nix's symbolicName: the name up to and including its first '-',
		// or nothing when it has none (npos+1 is 0).
		name := pathName(p)
		sym := ""
		if i := strings.IndexByte(name, '-'); i >= 0 {
			sym = name[:i+1]
		}
		typ := "output-path"
		if strings.HasSuffix(p, ".drv") {
			typ = "derivation"
		}
		fmt.Fprintf(c.out, "  <node id=\"%s\">\n    <data key=\"narSize\">%d</data>\n    <data key=\"name\">%s</data>\n    <data key=\"type\">%s</data>\n  </node>\n",
			baseName(p), info.NarSize, sym, typ)
		for _, r := range info.References {
			if r == p {
				continue
			}
			w.insert(r)
			fmt.Fprintf(c.out, "  <edge source=\"%s\" target=\"%s\"/>\n", baseName(p), baseName(r))
		}
	}
	c.out.WriteString("</graph>\n</graphml>\n")
	return nil
}

// shellEscape is Nix's shellEscape: single quotes around s, each ' as '\”.
func shellEscape(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// opPrintEnv is nix-store --print-env DRV.
func (c *nixStoreCmd) opPrintEnv() error {
	if len(c.opFlags) > 0 {
		return args.Usagef("unknown flag")
	}
	if len(c.opArgs) != 1 {
		return args.Usagef("'--print-env' requires one derivation store path")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	drvPath := c.opArgs[0]
	sp, err := parseStorePathArg(st.StoreDir(), drvPath)
	if err != nil {
		return err
	}
	d, err := c.readDerivation(sp)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(d.Env))
	for k := range d.Env {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(c.out, "export %s; %s=%s\n", k, k, shellEscape(d.Env[k]))
	}
	c.out.WriteString("export _args; _args='")
	for i, a := range d.Args {
		if i > 0 {
			c.out.WriteByte(' ')
		}
		c.out.WriteString(shellEscape(a))
	}
	c.out.WriteString("'\n")
	return nil
}

// parseStorePathArg is Nix's parseStorePath on an argument as typed: no
// symlinks followed, no relative paths.
func parseStorePathArg(storeDir, arg string) (string, error) {
	sp, err := storepath.Parse(storeDir, arg)
	if err != nil {
		return "", err
	}
	return sp.String(), nil
}
