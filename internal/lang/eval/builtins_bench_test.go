package eval

import (
	"io"
	"testing"

	"gonix/internal/lang/ast"
)

// benchBuiltin parses expr once per iteration's fresh evaluator and
// deep-forces it; the expressions are sized like bench/lang's workloads.
func benchBuiltin(b *testing.B, expr string) {
	b.Helper()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		st := New(Options{Stderr: io.Discard})
		e, err := st.ParseString(expr, "/", ast.OriginString)
		if err != nil {
			b.Fatal(err)
		}
		v, err := st.Eval(e)
		if err == nil {
			err = st.DeepForce(v)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

const benchInts = `builtins.genList (i: builtins.bitAnd (i * 1103515245 + 12345) 2147483647) 100000`

func BenchmarkGenList(b *testing.B) {
	benchBuiltin(b, `builtins.length (builtins.genList (i: i) 1000000)`)
}

func BenchmarkFoldlPrimop(b *testing.B) {
	benchBuiltin(b, `builtins.foldl' builtins.add 0 (builtins.genList (i: i) 1000000)`)
}

func BenchmarkFoldlLambda(b *testing.B) {
	benchBuiltin(b, `builtins.foldl' (a: x: a + x) 0 (builtins.genList (i: i) 1000000)`)
}

func BenchmarkSortLessThan(b *testing.B) {
	benchBuiltin(b, `builtins.length (builtins.sort builtins.lessThan (`+benchInts+`))`)
}

func BenchmarkSortLambda(b *testing.B) {
	benchBuiltin(b, `builtins.length (builtins.sort (a: b: a < b) (`+benchInts+`))`)
}

func BenchmarkListToAttrs(b *testing.B) {
	benchBuiltin(b, `builtins.length (builtins.attrNames (builtins.listToAttrs (builtins.genList (i: { name = "k${toString i}"; value = i; }) 100000)))`)
}

func BenchmarkMapAttrs(b *testing.B) {
	benchBuiltin(b, `let s = builtins.listToAttrs (builtins.genList (i: { name = "k${toString i}"; value = i; }) 100000); in builtins.length (builtins.attrValues (builtins.mapAttrs (n: v: v) s))`)
}

func BenchmarkConcatStringsSep(b *testing.B) {
	benchBuiltin(b, `builtins.stringLength (builtins.concatStringsSep "," (builtins.genList (i: "item") 1000000))`)
}

func BenchmarkReplaceStrings(b *testing.B) {
	benchBuiltin(b, `let s = builtins.concatStringsSep "" (builtins.genList (i: "abcdefghij") 100000); in builtins.stringLength (builtins.replaceStrings [ "xyz" "j" "" ] [ "" "J" "" ] (builtins.replaceStrings [ "cd" "q" ] [ "CD" "Q" ] s))`)
}
