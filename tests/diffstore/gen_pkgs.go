package diffstore

import (
	"fmt"
	"strings"
)

// Package counts per kind (see packages).
const (
	nFOD         = 120
	nChains      = 8
	chainLen     = 100
	nDiamonds    = 60
	latLayers    = 10
	latWidth     = 20
	nMulti       = 100
	nSources     = 100
	nPaths       = 60
	nToFile      = 100
	nPassAsFile  = 40
	nTypes       = 80
	nStructured  = 20
	nRefChecks   = 30
	nEscapes     = 60
	nPlaceholder = 40
	nNames       = 20
	nNested      = 20
	nDrvContext  = 20
)

func (g *gen) packages() {
	g.fodDrvs()
	g.chains()
	g.diamonds()
	g.lattice()
	g.multiOutputs()
	g.fodUsers()
	g.sourcePkgs()
	g.pathPkgs()
	g.toFilePkgs()
	g.passAsFilePkgs()
	g.typePkgs()
	g.structuredPkgs()
	g.refCheckPkgs()
	g.escapePkgs()
	g.placeholderPkgs()
	g.namePkgs()
	g.nestedPkgs()
	g.drvContextPkgs()
}

// fodDrvs writes fod.nix: every hash algorithm × mode × encoding Nix
// accepts, some with an identical twin (same name and hash, another
// builder: the same output path), some with inputs, one empty hash.
func (g *gen) fodDrvs() {
	algos := []string{"sha1", "sha256", "sha512"}
	forms := []string{"base16", "base32", "sri", "prefixed", "BASE16"}
	for i := 0; i < nFOD; i++ {
		algo := algos[i%3]
		recursive := (i/3)%2 == 1
		form := forms[(i/6)%len(forms)]
		h := g.hashOf(algo, fmt.Sprintf("fod content %d", i))
		var hash string
		switch form {
		case "prefixed":
			hash = algo + ":" + nixBase32(h)
		case "BASE16":
			hash = strings.ToUpper(encodeHash(algo, "base16", h))
		default:
			hash = encodeHash(algo, form, h)
		}
		name := fmt.Sprintf("fod-src-%d.tar", i)
		var body []string
		switch {
		case recursive:
			body = append(body, `outputHashMode = "recursive";`)
		case i%4 == 0: // flat is the default
		default:
			body = append(body, `outputHashMode = "flat";`)
		}
		switch {
		case form != "sri":
			body = append(body, fmt.Sprintf("outputHashAlgo = %q;", algo))
		case i%3 == 0:
			body = append(body, `outputHashAlgo = "";`)
		case i%3 == 1: // SRI alone names the algorithm
		default:
			body = append(body, fmt.Sprintf("outputHashAlgo = %q;", algo))
		}
		body = append(body, fmt.Sprintf("outputHash = %s;", nixStr(hash)))
		if i%5 == 0 {
			body = append(body, `outputs = [ "out" ];`)
		}
		if i%15 == 14 {
			body = append(body, fmt.Sprintf(`inputFod = "${f-%d}";`, i-1))
		}
		urls := strList(fmt.Sprintf("https://example.org/%s/%d.tar", g.word(), i), "mirror://gnu/x-"+g.word())
		id := fmt.Sprintf("f-%d", i)
		g.drv(&g.fods, "fixed-output", id, name, append(body, "urls = "+urls+";", `args = [ "-c" "fetch" ];`)...)
		g.fodNames = append(g.fodNames, id)
		if i%10 == 3 {
			alt := id + "-alt"
			g.drv(&g.fods, "fixed-output", alt, name, append(body, "urls = "+strList("https://elsewhere.example/"+g.word())+";", `args = [ "-c" "other builder" ];`)...)
			g.fodNames = append(g.fodNames, alt)
		}
	}
	// An empty hash: Nix warns and uses the all-zero SHA-256.
	g.drv(&g.fods, "fixed-output", "f-empty", "fod-empty-hash", `outputHashMode = "recursive";`, `outputHashAlgo = "sha256";`, `outputHash = "";`)
	g.fodNames = append(g.fodNames, "f-empty")
}

// chains: each link depends on the previous one; every third chain has
// three outputs and its links use ${prev.dev} and ${prev.lib} too.
func (g *gen) chains() {
	for c := 0; c < nChains; c++ {
		multi := c%3 == 1
		for i := 0; i < chainLen; i++ {
			id := fmt.Sprintf("chain-%d-%d", c, i)
			body := []string{fmt.Sprintf("version = \"1.%d\";", i)}
			if multi {
				body = append(body, `outputs = [ "out" "dev" "lib" ];`)
			}
			if i > 0 {
				prev := fmt.Sprintf("chain-%d-%d", c, i-1)
				body = append(body, fmt.Sprintf(`args = [ "-c" "echo ${%s} > $out" ];`, prev),
					fmt.Sprintf(`dep = "${%s}";`, prev))
				if multi {
					body = append(body, fmt.Sprintf(`devdep = "${%s.dev}/include";`, prev),
						fmt.Sprintf(`libs = [ %s.lib ];`, prev))
				}
			} else if c > 0 {
				body = append(body, fmt.Sprintf(`prevChain = chain-%d-%d;`, c-1, chainLen-1))
			}
			if i%25 == 7 {
				body = append(body, fmt.Sprintf(`src = fod.%s;`, g.pick(g.fodNames)))
			}
			g.pkg("chain", id, body...)
			if !multi {
				g.plain = append(g.plain, id)
			} else {
				g.multi = append(g.multi, multiDrv{id, []string{"out", "dev", "lib"}})
			}
		}
	}
}

// diamonds: top ← left, right ← bottom, the bottom also using the top.
func (g *gen) diamonds() {
	for k := 0; k < nDiamonds; k++ {
		top := fmt.Sprintf("dia-%d-top", k)
		var topBody []string
		ref := "${" + top + "}"
		if k%2 == 0 {
			topBody = append(topBody, `outputs = [ "out" "dev" ];`)
			ref = "${" + top + ".dev}"
		}
		g.pkg("diamond", top, topBody...)
		l, r, b := fmt.Sprintf("dia-%d-left", k), fmt.Sprintf("dia-%d-right", k), fmt.Sprintf("dia-%d-bottom", k)
		g.pkg("diamond", l, fmt.Sprintf(`dep = "${%s}";`, top))
		g.pkg("diamond", r, fmt.Sprintf(`dep = %s;`, nixStrRaw(ref+"/lib")))
		g.pkg("diamond", b, fmt.Sprintf(`deps = [ %s %s ];`, l, r), fmt.Sprintf(`top = "${%s}";`, top))
		g.plain = append(g.plain, l, r, b)
	}
}

// lattice: layers of a DAG, each node using 2–4 nodes of the layer before.
func (g *gen) lattice() {
	for L := 0; L < latLayers; L++ {
		for j := 0; j < latWidth; j++ {
			id := fmt.Sprintf("lat-%d-%d", L, j)
			var body []string
			if L > 0 {
				n := 2 + g.rng.IntN(3)
				seen := map[int]bool{}
				var deps []string
				for len(deps) < n {
					x := g.rng.IntN(latWidth)
					if !seen[x] {
						seen[x] = true
						deps = append(deps, fmt.Sprintf("lat-%d-%d", L-1, x))
					}
				}
				if j%2 == 0 {
					body = append(body, "deps = "+nixList(deps...)+";")
				} else {
					var s []string
					for _, d := range deps {
						s = append(s, "${"+d+"}")
					}
					body = append(body, "path = "+nixStrRaw(strings.Join(s, ":"))+";")
				}
			}
			g.pkg("lattice", id, body...)
			g.plain = append(g.plain, id)
		}
	}
}

var outputSets = [][]string{
	{"out", "dev", "lib"},
	{"lib", "out"},
	{"bin", "dev", "out", "doc", "man"},
	{"dev", "out"},
	{"out", "debug"},
}

// multiOutputs: derivations with several outputs (in several orders, so
// the default output is not always "out"), and consumers of single outputs.
func (g *gen) multiOutputs() {
	var made []multiDrv
	for k := 0; k < nMulti; k++ {
		outs := outputSets[k%len(outputSets)]
		id := fmt.Sprintf("multi-%d", k)
		body := []string{"outputs = " + strList(outs...) + ";"}
		if k > 0 && k%4 == 0 {
			body = append(body, fmt.Sprintf(`dep = "${%s}";`, g.pick(g.plain)))
		}
		g.pkg("multi-output", id, body...)
		made = append(made, multiDrv{id, outs})
	}
	g.multi = append(g.multi, made...)
	for k := 0; k < nMulti; k++ {
		m := made[g.rng.IntN(len(made))]
		o := m.outputs[g.rng.IntN(len(m.outputs))]
		id := fmt.Sprintf("multi-use-%d", k)
		var body []string
		switch k % 5 {
		case 0:
			body = append(body, fmt.Sprintf(`dep = "${%s.%s}";`, m.name, o))
		case 1:
			body = append(body, fmt.Sprintf(`dep = "${%s}";`, m.name)) // the first output
		case 2:
			body = append(body, fmt.Sprintf(`all = %s.all;`, m.name))
		case 3:
			body = append(body, fmt.Sprintf(`one = %s.%s;`, m.name, o), fmt.Sprintf(`other = %s.%s.%s;`, m.name, m.outputs[0], o))
		case 4:
			m2 := g.multi[g.rng.IntN(len(g.multi))]
			body = append(body, fmt.Sprintf(`dep = "${%s.%s} ${%s.%s}";`, m.name, o, m2.name, m2.outputs[len(m2.outputs)-1]),
				`outputs = [ "out" "dev" ];`)
		}
		g.pkg("multi-output-user", id, body...)
	}
}

// fodUsers depend on fixed-output derivations: Nix hashes them modulo the
// fixed output, so a user of f-N and one of f-N-alt get the same output
// path from different .drv files.
func (g *gen) fodUsers() {
	for k := 0; k < nFOD; k++ {
		f := g.fodNames[g.rng.IntN(len(g.fodNames))]
		id := fmt.Sprintf("fod-user-%d", k)
		body := []string{fmt.Sprintf("src = fod.%s;", f)}
		if k%3 == 0 {
			body = append(body, fmt.Sprintf(`srcs = [ fod.%s fod.%s ];`, g.pick(g.fodNames), g.pick(g.fodNames)))
		}
		if k%4 == 1 {
			body = append(body, fmt.Sprintf(`dep = "${%s}";`, g.pick(g.plain)))
		}
		g.pkg("fixed-output-user", id, body...)
	}
	for _, f := range g.fodNames {
		if !strings.HasSuffix(f, "-alt") {
			continue
		}
		orig := strings.TrimSuffix(f, "-alt")
		for _, v := range []string{orig, f} {
			g.drv(&g.lets, "fixed-output-user", "twin-"+v, "fod-twin-user-"+orig, fmt.Sprintf(`src = "${fod.%s}";`, v))
			g.top = append(g.top, "twin-"+v)
		}
	}
}

// sourcePkgs refer to local files and directories as path literals.
func (g *gen) sourcePkgs() {
	for k := 0; k < nSources; k++ {
		f, d, b := g.pick(g.files), g.pick(g.dirs), g.pick(g.bins)
		id := fmt.Sprintf("src-%d", k)
		var body []string
		switch k % 8 {
		case 0:
			body = append(body, "src = "+f+";")
		case 1:
			body = append(body, "srcs = "+nixList(f, d, b)+";")
		case 2:
			body = append(body, `script = "${`+b+`}";`)
		case 3:
			body = append(body, "builder = ./src/builder.sh;", `args = [ "${`+f+`}" ];`)
		case 4:
			body = append(body, "src = "+d+";")
		case 5:
			body = append(body, `config = "include ${`+f+`}\ninclude ${`+d+`}/sub/b.txt";`)
		case 6:
			body = append(body, `file = "${`+d+` + "/a.txt"}";`, `sub = `+d+` + "/sub";`)
		case 7:
			body = append(body, "builder = "+b+";", "src = "+d+";", fmt.Sprintf(`dep = "${%s}";`, g.pick(g.plain)))
		}
		g.pkg("local-source", id, body...)
	}
}

// pathPkgs use builtins.path and builtins.filterSource with filters that
// drop symlinks, *.tmp files, dot files, a named file or a subdirectory.
func (g *gen) pathPkgs() {
	for k := 0; k < nPaths; k++ {
		d, f, b := g.pick(g.dirs), g.pick(g.files), g.pick(g.bins)
		var src string
		switch k % 10 {
		case 0:
			src = fmt.Sprintf(`builtins.path { path = %s; name = "filtered-%d"; filter = p: t: t != "symlink"; }`, d, k)
		case 1:
			src = fmt.Sprintf(`builtins.path { path = %s; filter = p: t: builtins.match ".*\\.tmp" p == null; }`, d)
		case 2:
			src = fmt.Sprintf(`builtins.path { path = %s; recursive = false; name = "flat-%d.txt"; }`, f, k)
		case 3:
			src = fmt.Sprintf(`builtins.filterSource (p: t: baseNameOf p != "drop") %s`, d)
		case 4:
			src = fmt.Sprintf(`builtins.filterSource (p: t: !(t == "directory" && baseNameOf p == "sub")) %s`, d)
		case 5:
			src = fmt.Sprintf(`builtins.path { path = %s; name = "all-%d"; }`, d, k)
		case 6:
			src = fmt.Sprintf(`builtins.path { path = %s + "/sub"; filter = p: t: t == "directory" || t == "regular"; }`, d)
		case 7:
			src = fmt.Sprintf(`builtins.filterSource (p: t: builtins.substring 0 1 (baseNameOf p) != ".") %s`, d)
		case 8:
			src = fmt.Sprintf(`builtins.path { path = %s; }`, b)
		case 9:
			src = fmt.Sprintf(`builtins.path { name = "src"; path = %s; filter = p: t: t != "regular" || builtins.stringLength (baseNameOf p) > 4; }`, d)
		}
		g.pkg("path-filter", fmt.Sprintf("path-%d", k), "src = "+src+";")
	}
}

// toFilePkgs: builtins.toFile results that refer to sources, to earlier
// toFile results and (via unsafeDiscardOutputDependency) to .drv files,
// used as builder, argument and environment value.
func (g *gen) toFilePkgs() {
	for k := 0; k < nToFile; k++ {
		name := fmt.Sprintf("script-%d.sh", k)
		if k%7 == 3 {
			name = fmt.Sprintf("conf+%d.ini", k)
		}
		var refs []string
		refs = append(refs, "source ${"+g.pick(g.files)+"}")
		if k > 0 {
			refs = append(refs, fmt.Sprintf("source ${script-%d}", k-1))
		}
		if k%3 == 0 {
			refs = append(refs, fmt.Sprintf("drv=${builtins.unsafeDiscardOutputDependency %s.drvPath}", g.pick(g.plain)))
		}
		if k%4 == 0 {
			refs = append(refs, fmt.Sprintf("text=${builtins.unsafeDiscardStringContext \"${%s}\"}", g.pick(g.plain)))
		}
		body := "#!/bin/sh\n" + strings.Join(refs, "\n") + "\necho ''${HOME} '''quoted''' $out \\t\n"
		fmt.Fprintf(&g.lets, "  script-%d = builtins.toFile %s ''\n%s'';\n", k, nixStr(name), indent(body, "    "))
		g.stats.ToFiles++
		id := fmt.Sprintf("tofile-%d", k)
		switch k % 3 {
		case 0:
			g.pkg("toFile", id, fmt.Sprintf("builder = script-%d;", k))
		case 1:
			g.pkg("toFile", id, fmt.Sprintf(`args = [ "-e" script-%d ];`, k))
		case 2:
			g.pkg("toFile", id, fmt.Sprintf(`setup = "${script-%d}";`, k), fmt.Sprintf(`dep = %s;`, g.pick(g.plain)))
		}
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" && l != "\n" {
			b.WriteString(prefix)
		}
		b.WriteString(l)
	}
	return b.String()
}

func (g *gen) passAsFilePkgs() {
	for k := 0; k < nPassAsFile; k++ {
		body := []string{
			`passAsFile = [ "text" "data" "missing" ];`,
			fmt.Sprintf(`text = %s;`, nixStr(g.text(3))),
			fmt.Sprintf(`data = "${%s} %d";`, g.pick(g.plain), k),
		}
		g.pkg("passAsFile", fmt.Sprintf("pass-%d", k), body...)
	}
}

// typePkgs put every Nix value type that coerces into the environment.
func (g *gen) typePkgs() {
	variants := []string{
		`n = 42; neg = -7; zero = 0; big = 9223372036854775807; small = -9223372036854775807;`,
		`t = true; f = false; nul = null;`,
		`l = [ 1 "two" true false null [ 3 [ "four" ] ] [ ] ];`,
		`empties = [ [ ] [ ] "x" [ ] ]; emptyList = [ ];`,
		`fl = 1.5; tenth = 0.1; huge = 1.0e20; whole = 3.0; negf = -2.25;`,
		`__ignoreNulls = true; gone = null; kept = "yes";`,
		`withToString = { __toString = self: "to-string-" + self.x; x = "value"; };`,
		`withOutPath = { outPath = "/not/a/store/path"; };`,
		`args = [ "-c" 1 true false null 2.5 [ "nested" "args" ] ];`,
		`mixed = [ "a" 1 ./src/files/f-0.txt ];`,
	}
	for k := 0; k < nTypes; k++ {
		v := variants[k%len(variants)]
		body := []string{v, fmt.Sprintf("index = %d;", k)}
		if k%len(variants) == 9 {
			body = append(body, fmt.Sprintf("drvs = [ %s %s ];", g.pick(g.plain), g.pick(g.plain)))
		}
		if k%13 == 5 {
			body = append(body, fmt.Sprintf(`drvFile = builtins.unsafeDiscardOutputDependency %s.drvPath;`, g.pick(g.plain)))
		}
		g.pkg("env-types", fmt.Sprintf("types-%d", k), body...)
	}
}

func (g *gen) structuredPkgs() {
	for k := 0; k < nStructured; k++ {
		dep, m := g.pick(g.plain), g.multi[g.rng.IntN(len(g.multi))]
		body := []string{
			"__structuredAttrs = true;",
			`outputs = [ "out" "dev" ];`,
			fmt.Sprintf("n = %d; neg = -%d; fl = 2.5; tenth = 0.1; huge = 1.0e20; t = true; f = false; nul = null;", k, k*k),
			`nested = { a = [ 1 2 { b = null; c = "x\ny"; } ]; s = "tab\there \"quoted\" \\ grüße 🙂"; empty = { }; };`,
			fmt.Sprintf("dep = %s; devdep = %s.%s; deps = [ %s ];", dep, m.name, m.outputs[0], g.pick(g.plain)),
			fmt.Sprintf("src = %s;", g.pick(g.files)),
			fmt.Sprintf(`outputChecks.out.allowedReferences = [ %s ]; outputChecks.dev.maxSize = %d;`, dep, 1000+k),
			`passAsFile = [ "n" ];`,
			`prefix = builtins.placeholder "dev";`,
		}
		if k%2 == 0 {
			body = append(body, `__ignoreNulls = true;`)
		}
		g.pkg("structuredAttrs", fmt.Sprintf("structured-%d", k), body...)
	}
}

func (g *gen) refCheckPkgs() {
	for k := 0; k < nRefChecks; k++ {
		a, b, c := g.pick(g.plain), g.pick(g.plain), g.pick(g.plain)
		body := []string{
			`outputs = [ "out" "dev" ];`,
			fmt.Sprintf(`allowedReferences = [ "out" %s ];`, a),
			fmt.Sprintf(`allowedRequisites = [ "dev" %s ];`, b),
			fmt.Sprintf(`disallowedReferences = [ %s ];`, c),
			`disallowedRequisites = [ ];`,
		}
		g.pkg("reference-checks", fmt.Sprintf("refs-%d", k), body...)
	}
}

// escapePkgs carry strings that ATerm must escape (quote, backslash,
// newline, tab, carriage return), and $, ${, UTF-8, raw control bytes and
// an invalid UTF-8 byte that it must not.
func (g *gen) escapePkgs() {
	values := []string{
		`"quote \" backslash \\ newline \n tab \t cr \r dollar $ brace \${x} end"`,
		`"utf-8: grüße, 日本語, 🙂, ñ"`,
		`''
      indented ''${notInterpolated} '''quoted''' $HOME
        tab:''\t newline-escape:''\n
      last line''`,
		`"trailing backslash \\"`,
		"\"raw control \x01 and \x7f bytes\"",
		"\"invalid utf-8 \xff\xfe here\"",
		`"multi
line
literal"`,
		`"$$ $out \$ $"`,
		`"sq ' dq \" bs \\\\ bq ` + "`" + `"`,
		`""`,
	}
	for k := 0; k < nEscapes; k++ {
		v := values[k%len(values)]
		body := []string{"value = " + v + ";", fmt.Sprintf(`"attr with space" = "%d";`, k)}
		if k%3 == 0 {
			body = append(body, `"ключ" = "unicode name";`, `"a=b" = "equals";`)
		}
		if k%4 == 0 {
			body = append(body, fmt.Sprintf(`args = [ "-c" %s ];`, v))
		}
		g.pkg("string-escapes", fmt.Sprintf("escape-%d", k), body...)
	}
}

func (g *gen) placeholderPkgs() {
	for k := 0; k < nPlaceholder; k++ {
		body := []string{`prefix = builtins.placeholder "out";`}
		if k%2 == 0 {
			body = append(body, `outputs = [ "out" "dev" "lib" ];`,
				`flags = "--dev=${builtins.placeholder "dev"} --lib=${builtins.placeholder "lib"}";`)
		}
		if k%5 == 0 {
			body = append(body, `other = builtins.placeholder "nosuchoutput";`)
		}
		g.pkg("placeholder", fmt.Sprintf("placeholder-%d", k), body...)
	}
}

// namePkgs: derivation names with every character Nix allows, and long.
func (g *gen) namePkgs() {
	names := []string{
		"plus+plus", "x-1.2.3", "under_score", "what?is=this", "1starts-with-digit",
		"MiXeD-CaSe", "dots...in.name", "eq=", "long",
		"a",
	}
	for k := 0; k < nNames; k++ {
		name := fmt.Sprintf("%s-%d", names[k%len(names)], k)
		switch k % len(names) {
		case 8: // a .drv name is at most 211 characters: the longest name
			name = fmt.Sprintf("long-%d-", k)
			name += strings.Repeat("x", 211-len(".drv")-len(name))
		case 9:
			name = fmt.Sprintf("n%d", k)
		}
		id := fmt.Sprintf("name-%d", k)
		g.drv(&g.lets, "names", id, name, fmt.Sprintf(`dep = "${%s}";`, g.pick(g.plain)))
		g.top = append(g.top, id)
	}
}

// nestedPkgs live in an attribute set marked recurseForDerivations.
func (g *gen) nestedPkgs() {
	for k := 0; k < nNested; k++ {
		id := fmt.Sprintf("nested-%d", k)
		g.drv(&g.lets, "nested", id, id, fmt.Sprintf(`dep = "${%s}";`, g.pick(g.plain)))
		g.sub = append(g.sub, id)
	}
}

// drvContextPkgs put a .drv path with its "=" context into the
// environment: Nix then reads the .drv closure from the store and makes
// every derivation in it an input with all its outputs.
func (g *gen) drvContextPkgs() {
	for k := 0; k < nDrvContext; k++ {
		var dep string
		if k%2 == 0 {
			dep = g.pick(g.plain)
		} else {
			dep = g.multi[g.rng.IntN(len(g.multi))].name
		}
		g.drv(&g.storeOnly, "drvpath-context", fmt.Sprintf("drvctx-%d", k), fmt.Sprintf("drvctx-%d", k),
			fmt.Sprintf("drv = %s.drvPath;", dep),
			fmt.Sprintf(`srcs = [ %s ];`, g.pick(g.files)))
	}
}

// nixStrRaw wraps s in double quotes without escaping: s contains ${…}
// interpolations that must stay live.
func nixStrRaw(s string) string { return `"` + s + `"` }
