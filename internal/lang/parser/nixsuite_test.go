package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/lang/ast"
)

// TestNixLangSuite parses Nix 2.8.0's own tests/lang/parse-*.nix files
// when GONIX_NIX_LANG_TESTS names a directory holding them (they are not
// part of this repository):
//
//	git -C NIX_REPO archive 2.8.0 tests/lang | tar -x -C /tmp/nixlang
//	GONIX_NIX_LANG_TESTS=/tmp/nixlang/tests/lang go test -run NixLangSuite
//
// parse-okay files must parse. parse-fail files must fail, except those
// that fail only in variable resolution (listed in resolverFails).
func TestNixLangSuite(t *testing.T) {
	dir := os.Getenv("GONIX_NIX_LANG_TESTS")
	if dir == "" {
		t.Skip("local only: set GONIX_NIX_LANG_TESTS to a copy of Nix 2.8.0's tests/lang (never committed; CI has no NixOS/nix mirror, and ../shared/tools/langtests.sh covers the suite)")
	}
	files, err := filepath.Glob(filepath.Join(dir, "parse-*.nix"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no parse-*.nix files in %s", dir)
	}
	resolverFails := map[string]bool{
		"parse-fail-undef-var.nix":           true,
		"parse-fail-regression-20060610.nix": true,
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := &ast.Source{Origin: ast.OriginFile, Path: f, Text: string(data)}
		_, perr := Parse(src, ast.NewSymbols(), Options{BaseDir: filepath.Dir(f), Home: "/home/test"})
		base := filepath.Base(f)
		switch {
		case strings.HasPrefix(base, "parse-okay"):
			if perr != nil {
				t.Errorf("%s: %v", base, perr)
			}
		case resolverFails[base]:
			if perr != nil {
				t.Errorf("%s fails only in the resolver, but: %v", base, perr)
			}
		default:
			if perr == nil {
				t.Errorf("%s: parsed, want a parse error", base)
			}
		}
	}
}
