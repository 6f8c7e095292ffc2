package parser

import (
	"sort"
	"strings"
	"testing"

	"gonix/internal/lang/ast"
)

func fuzzParse(src string) (string, *ast.Symbols, error) {
	syms := ast.NewSymbols()
	e, err := Parse(&ast.Source{Origin: ast.OriginString, Text: src}, syms, Options{BaseDir: "/b", Home: "/h"})
	if err != nil {
		return "", syms, err
	}
	canonicalOrder(e, syms)
	var b strings.Builder
	ast.Show(&b, syms, e)
	return b.String(), syms, nil
}

// canonicalOrder sorts let bindings and formals by name: Nix prints them
// in symbol order, which depends on where names first occur and so
// changes between a text and its rendering.
func canonicalOrder(e ast.Expr, syms *ast.Symbols) {
	byName := func(a, b ast.Symbol) bool { return syms.Name(a) < syms.Name(b) }
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		switch e := e.(type) {
		case *ast.Select:
			walk(e.E)
			walk(e.Default)
			for _, a := range e.Path {
				walk(a.Expr)
			}
		case *ast.HasAttr:
			walk(e.E)
			for _, a := range e.Path {
				walk(a.Expr)
			}
		case *ast.Attrs:
			for _, a := range e.Attrs {
				walk(a.Value)
			}
			for _, d := range e.Dynamic {
				walk(d.Name)
				walk(d.Value)
			}
		case *ast.List:
			for _, x := range e.Elems {
				walk(x)
			}
		case *ast.Lambda:
			sort.Slice(e.Formals, func(i, j int) bool { return byName(e.Formals[i].Name, e.Formals[j].Name) })
			for _, f := range e.Formals {
				walk(f.Default)
			}
			walk(e.Body)
		case *ast.Call:
			walk(e.Fn)
			for _, x := range e.Args {
				walk(x)
			}
		case *ast.Let:
			a := e.Attrs.Attrs
			sort.Slice(a, func(i, j int) bool { return byName(a[i].Name, a[j].Name) })
			walk(e.Attrs)
			walk(e.Body)
		case *ast.With:
			walk(e.Attrs)
			walk(e.Body)
		case *ast.If:
			walk(e.Cond)
			walk(e.Then)
			walk(e.Else)
		case *ast.Assert:
			walk(e.Cond)
			walk(e.Body)
		case *ast.Not:
			walk(e.E)
		case *ast.BinOp:
			walk(e.A)
			walk(e.B)
		case *ast.ConcatStrings:
			for _, x := range e.Parts {
				walk(x)
			}
		}
	}
	walk(e)
}

// unprintable reports whether Nix's --parse rendering of a tree is
// known not to parse again: a bare `assert` used as an operand, an
// interpolated path (its first part keeps a trailing slash) or the path
// `/` (Nix 2.8 prints `/.` so; found in a formal's default, `{ a ? /. }: a`),
// a NUL byte
// (the scanner stops strings there), or a keyword used as an attribute
// name (Nix quotes only `if`).
func unprintable(shown string, syms *ast.Symbols) bool {
	if strings.Contains(shown, "assert ") || strings.Contains(shown, "/ ") ||
		strings.Contains(shown, "/)") || strings.Contains(shown, "/]") || strings.Contains(shown, "/,") ||
		strings.Contains(shown, "/;") || strings.Contains(shown, "/}") || strings.HasSuffix(shown, "/") ||
		strings.ContainsRune(shown, 0) {
		return true
	}
	for i := 0; i < syms.Len(); i++ {
		if keyword(syms.Name(ast.Symbol(i))) != tID {
			return true
		}
	}
	return false
}

// acceptable reports whether a rendering may fail to parse with err:
// printing adds nesting (Bison's stack limit), and a float printed with
// six digits can round into the subnormal range that Nix rejects.
func acceptable(err error) bool {
	msg := err.(*Error).Msg
	return msg == "memory exhausted" || strings.HasPrefix(msg, "invalid float")
}

// FuzzParse checks that no input panics, and that printing is stable:
// Nix's rendering does not always re-parse to the same tree (n-ary
// string concatenations print like nested `+`, floats print with six
// digits), so the property is that the second rendering is a fixed point.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"corpus.txt", "errors.txt"} {
		for _, e := range readCorpus(f, name) {
			f.Add(e)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		s1, syms, err := fuzzParse(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		s2, syms2, err := fuzzParse(s1)
		if err != nil {
			if unprintable(s1, syms) || acceptable(err) {
				return
			}
			t.Fatalf("rendering does not parse:\n src %q\nshow %q\n err %v", src, s1, err)
		}
		s3, _, err := fuzzParse(s2)
		if err != nil {
			if unprintable(s2, syms2) || acceptable(err) {
				return
			}
			t.Fatalf("second rendering does not parse:\n src %q\nshow %q\n err %v", src, s2, err)
		}
		if s3 != s2 {
			t.Fatalf("not a fixed point:\n src %q\n  s2 %q\n  s3 %q", src, s2, s3)
		}
	})
}
