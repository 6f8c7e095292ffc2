package parser

import (
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gonix/corelib"
	"gonix/internal/lang/ast"
)

// A tree parsed with a table of its own and moved onto another with
// ast.RemapSymbols (how the evaluator adopts files parsed ahead) must be
// the tree parsing it against that table gives, and leave that table as
// parsing would have: the same names in the same order.
func TestRemapSymbolsMatchesDirectParse(t *testing.T) {
	srcs := corpusAndLib(t)
	if len(srcs) < 100 {
		t.Fatalf("only %d sources", len(srcs))
	}
	// Both tables already hold names, some of which the sources use, in
	// an order unlike the sources'.
	direct, adopted, local := ast.NewSymbols(), ast.NewSymbols(), ast.NewSymbols()
	for _, n := range []string{"zz", "lib", "x", "config", "y", "a", "options", "mkIf", "b"} {
		direct.Intern(n)
		adopted.Intern(n)
	}
	remapped := 0
	for _, src := range srcs {
		opts := Options{BaseDir: "/base", Home: "/home/u"}
		want, err := Parse(src, direct, opts)
		local.Reset()
		got, err2 := Parse(src, local, opts)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("%.60q: parse error %v with one table, %v with another", src.Text, err, err2)
		}
		if err != nil {
			// the evaluator parses such a file again, against its table
			Parse(src, adopted, opts)
			continue
		}
		m := make([]ast.Symbol, local.Len())
		for i := range m {
			m[i] = adopted.Intern(local.Name(ast.Symbol(i)))
		}
		ast.RemapSymbols(got, m)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s %.60q: remapped tree differs from the direct parse:\n%s\n%s", src.Path, src.Text, dump(got), dump(want))
		}
		remapped++
	}
	names := func(s *ast.Symbols) []string {
		var out []string
		for i := range s.Len() {
			out = append(out, s.Name(ast.Symbol(i)))
		}
		return out
	}
	if !slices.Equal(names(direct), names(adopted)) {
		t.Fatal("the tables' names differ")
	}
	if remapped < 100 {
		t.Fatalf("only %d trees remapped", remapped)
	}
}

func dump(e ast.Expr) string { return fmt.Sprintf("%#v", e) }

// Parses that share an Arena give the trees separate parses give, file
// after file, failed parses included.
func TestArenaSharedByParses(t *testing.T) {
	srcs := corpusAndLib(t)
	srcs = append(srcs, &ast.Source{Origin: ast.OriginString, Text: "{ a = 1; b = [ 1 2"})
	shared, alone := ast.NewSymbols(), ast.NewSymbols()
	arena := new(Arena)
	var kept, wants []ast.Expr
	for _, src := range srcs {
		opts := Options{BaseDir: "/base", Home: "/home/u"}
		want, err := Parse(src, alone, opts)
		opts.Arena = arena
		got, err2 := Parse(src, shared, opts)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("%.60q: error %v alone, %v with an arena", src.Text, err, err2)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%.60q: the tree parsed with an arena differs", src.Text)
		}
		kept, wants = append(kept, got), append(wants, want)
	}
	// the earlier trees were not overwritten by the later parses
	for i, src := range srcs {
		if !reflect.DeepEqual(kept[i], wants[i]) {
			t.Fatalf("%.60q: changed by later parses", src.Text)
		}
	}
}

// corpusAndLib is every expression of corpus.txt and every file of the
// embedded lib.
func corpusAndLib(t *testing.T) []*ast.Source {
	t.Helper()
	var srcs []*ast.Source
	for _, e := range readCorpus(t, "corpus.txt") {
		srcs = append(srcs, &ast.Source{Origin: ast.OriginString, Text: e})
	}
	fs.WalkDir(corelib.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".nix") {
			b, _ := fs.ReadFile(corelib.FS, p)
			srcs = append(srcs, &ast.Source{Origin: ast.OriginFile, Path: "/lib/" + p, Text: string(b)})
		}
		return nil
	})
	return srcs
}
