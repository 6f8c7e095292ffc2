package diffstore

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultSeed is the seed the test and the benchmark use, so both see the
// same package set.
const DefaultSeed = 2_8_0

// Stats says what Generate wrote: derivations per kind (a derivation has
// exactly one kind), and the other store objects the set refers to.
type Stats struct {
	Kinds       map[string]int // kind → derivations of that kind
	Derivations int            // sum of Kinds
	EvalOnly    int            // derivations in pkgs.nix (all but the store-only kind)
	ToFiles     int            // builtins.toFile results
	SourceFiles int            // regular files under src/
	SourceDirs  int            // directories under src/ (src/ itself excluded)
	Symlinks    int            // symlinks under src/
}

// String lists the counts, kinds sorted by name.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d derivations (", s.Derivations)
	kinds := make([]string, 0, len(s.Kinds))
	for k := range s.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for i, k := range kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, s.Kinds[k])
	}
	fmt.Fprintf(&b, "); %d toFile, %d source files, %d source dirs, %d symlinks",
		s.ToFiles, s.SourceFiles, s.SourceDirs, s.Symlinks)
	return b.String()
}

// Generate writes a package set into dir (which must exist):
//
//	default.nix     what nix-instantiate instantiates: pkgs.nix plus store-only.nix
//	pkgs.nix        an attribute set of derivations (one nested set with
//	                recurseForDerivations), evaluable with --readonly-mode
//	store-only.nix  derivations whose evaluation reads the store (a drvPath
//	                string in the environment makes Nix read the .drv closure)
//	fod.nix         fixed-output derivations imported by pkgs.nix
//	eval.nix        name → { drvPath; outPaths = { OUTPUT = PATH; }; } for pkgs.nix
//	src/...         files, executables, directories, symlinks the set refers to
//
// The same seed always writes the same bytes.
func Generate(dir string, seed uint64) (Stats, error) {
	g := &gen{
		dir:   dir,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		stats: Stats{Kinds: map[string]int{}},
	}
	if err := g.sources(); err != nil {
		return Stats{}, fmt.Errorf("generate %s: %w", dir, err)
	}
	g.packages()
	files := map[string]string{
		"pkgs.nix":       g.pkgsFile(),
		"fod.nix":        g.fodFile(),
		"store-only.nix": g.storeOnlyFile(),
		"default.nix":    defaultNix,
		"eval.nix":       evalNix,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return Stats{}, fmt.Errorf("generate: %w", err)
		}
	}
	for _, n := range g.stats.Kinds {
		g.stats.Derivations += n
	}
	g.stats.EvalOnly = g.stats.Derivations - g.stats.Kinds["drvpath-context"]
	return g.stats, nil
}

const defaultNix = `let
  pkgs = import ./pkgs.nix;
in
pkgs // import ./store-only.nix pkgs
`

const evalNix = `let
  pkgs = import ./pkgs.nix;
  info = d: {
    drvPath = d.drvPath;
    outPaths = builtins.listToAttrs (map (o: { name = o; value = d.${o}.outPath; }) (d.outputs or [ "out" ]));
  };
  entries = n:
    let v = pkgs.${n}; in
    if v.type or null == "derivation" then [ { name = n; value = info v; } ]
    else map (m: { name = "${n}.${m}"; value = info v.${m}; })
      (builtins.filter (m: m != "recurseForDerivations") (builtins.attrNames v));
in
builtins.listToAttrs (builtins.concatMap entries (builtins.attrNames pkgs))
`

type gen struct {
	dir   string
	rng   *rand.Rand
	stats Stats

	lets      strings.Builder // let bindings of pkgs.nix
	top       []string        // top-level attribute names of pkgs.nix
	sub       []string        // names in the nested recurseForDerivations set
	fods      strings.Builder // body of fod.nix
	storeOnly strings.Builder // body of store-only.nix

	files, bins, dirs []string // source paths relative to dir, as "./src/..."
	multi             []multiDrv
	plain             []string // single-output derivations usable as dependencies
	fodNames          []string
}

type multiDrv struct {
	name    string
	outputs []string
}

func (g *gen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// word returns a short random lower-case word.
func (g *gen) word() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	n := 3 + g.rng.IntN(6)
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[g.rng.IntN(len(letters))]
	}
	return string(b)
}

// drv writes one `IDENT = derivation { ... };` binding into w; body lines
// follow name, builder and system. The identifier is also the derivation's
// name unless body sets it (then name must be "").
func (g *gen) drv(w *strings.Builder, kind, ident, name string, body ...string) {
	g.stats.Kinds[kind]++
	fmt.Fprintf(w, "  %s = derivation {\n", ident)
	if name != "" {
		fmt.Fprintf(w, "    name = %s;\n", nixStr(name))
	}
	hasBuilder := false
	for _, l := range body {
		if strings.HasPrefix(l, "builder =") {
			hasBuilder = true
		}
	}
	if !hasBuilder {
		w.WriteString("    builder = \"/bin/sh\";\n")
	}
	w.WriteString("    system = \"x86_64-linux\";\n")
	for _, l := range body {
		fmt.Fprintf(w, "    %s\n", l)
	}
	w.WriteString("  };\n")
}

// pkg is drv into pkgs.nix, exported at the top level.
func (g *gen) pkg(kind, ident string, body ...string) {
	g.drv(&g.lets, kind, ident, ident, body...)
	g.top = append(g.top, ident)
}

func (g *gen) pkgsFile() string {
	var b strings.Builder
	b.WriteString("# Generated by tests/diffstore (gen.go); do not edit.\nlet\n  fod = import ./fod.nix;\n")
	b.WriteString(g.lets.String())
	b.WriteString("in\n{\n")
	for _, n := range g.top {
		fmt.Fprintf(&b, "  inherit %s;\n", n)
	}
	for _, n := range g.fodNames {
		fmt.Fprintf(&b, "  inherit (fod) %s;\n", n)
	}
	b.WriteString("  nested = {\n    recurseForDerivations = true;\n")
	for _, n := range g.sub {
		fmt.Fprintf(&b, "    inherit %s;\n", n)
	}
	b.WriteString("  };\n  # Not a derivation and not recursed into: nix-instantiate skips it.\n")
	b.WriteString("  notRecursed = { x = derivation { name = \"never-instantiated\"; builder = \"/bin/sh\"; system = \"x86_64-linux\"; }; };\n}\n")
	return b.String()
}

func (g *gen) fodFile() string {
	return "# Generated by tests/diffstore (gen.go); do not edit.\nrec {\n" + g.fods.String() + "}\n"
}

func (g *gen) storeOnlyFile() string {
	return "# Generated by tests/diffstore (gen.go); do not edit.\n" +
		"# A drvPath string in the environment makes Nix read the whole .drv closure\n" +
		"# from the store, so these cannot be evaluated with --readonly-mode.\n" +
		"pkgs: with pkgs; rec {\n" + g.storeOnly.String() + "}\n"
}

// nixStr quotes s as a Nix double-quoted string.
func nixStr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				b.WriteString(`\$`)
			} else {
				b.WriteByte('$')
			}
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// nixList renders Nix expressions as a list.
func nixList(xs ...string) string { return "[ " + strings.Join(xs, " ") + " ]" }

// strList renders Go strings as a Nix list of strings.
func strList(xs ...string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = nixStr(x)
	}
	return nixList(q...)
}

// Hash encodings Nix accepts for outputHash.
const base32Chars = "0123456789abcdfghijklmnpqrsvwxyz"

// nixBase32 is Nix's base-32 (reversed, its own alphabet); written out
// here so the generator does not depend on the code under test.
func nixBase32(h []byte) string {
	n := (len(h)*8-1)/5 + 1
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b := uint(i * 5)
		i1, j := b/8, b%8
		c := h[i1] >> j
		if int(i1) < len(h)-1 {
			c |= h[i1+1] << (8 - j)
		}
		out[n-1-i] = base32Chars[c&0x1f]
	}
	return string(out)
}

func (g *gen) hashOf(algo string, data string) []byte {
	switch algo {
	case "sha1":
		s := sha1.Sum([]byte(data))
		return s[:]
	case "sha512":
		s := sha512.Sum512([]byte(data))
		return s[:]
	default:
		s := sha256.Sum256([]byte(data))
		return s[:]
	}
}

func encodeHash(algo, form string, h []byte) string {
	switch form {
	case "base16":
		return hex.EncodeToString(h)
	case "base32":
		return nixBase32(h)
	default: // sri
		return algo + "-" + base64.StdEncoding.EncodeToString(h)
	}
}
