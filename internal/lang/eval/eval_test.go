package eval

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"gonix/internal/lang/ast"
)

// evalDeep parses src as an -E expression with base directory dir,
// evaluates it and forces it deeply; a parse error fails the test.
func evalDeep(t testing.TB, st *State, src, dir string) (*Value, error) {
	t.Helper()
	e, err := st.ParseString(src, dir, ast.OriginString)
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.Eval(e)
	if err == nil {
		err = st.DeepForce(v)
	}
	return v, err
}

// evalPrint evaluates text in st with base directory dir as
// nix-instantiate --eval [--strict] -E does and returns the printed value,
// or "error: MSG".
func evalPrint(t *testing.T, st *State, text, dir string, strict bool) string {
	t.Helper()
	e, err := st.ParseString(text, dir, ast.OriginString)
	if err != nil {
		return "error: " + err.Error()
	}
	v, err := st.Eval(e)
	if err == nil && strict {
		err = st.DeepForce(v)
	}
	if err != nil {
		var ee *Error
		if errors.As(err, &ee) {
			return "error: " + ee.Msg
		}
		return "error: " + err.Error()
	}
	var out strings.Builder
	if err := st.Print(&out, v); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// evalText evaluates text as nix-instantiate --eval [--strict] -E would
// and returns stdout, or "error: MSG" for an evaluation error.
func evalText(t *testing.T, text string, strict bool) string {
	t.Helper()
	st := New(Options{Stderr: new(bytes.Buffer), Getenv: func(string) (string, bool) { return "", false }, Home: "/home/test"})
	return evalPrint(t, st, text, "/cwd", strict)
}

// Cases measured on Nix 2.8 (spec/language.md examples).
var strictCases = []struct{ expr, want string }{
	{`1 + 2`, `3`},
	{`9223372036854775807 + 1`, `-9223372036854775808`},
	{`7 / -2`, `-3`},
	{`1 / 0`, `error: division by zero`},
	{`"a" + "b"`, `"ab"`},
	{`let x = 1; in with { x = 2; }; x`, `1`},
	{`with { x = 1; }; with { x = 2; }; x`, `2`},
	{`with { x = 1; }; with { y = 2; }; x`, `1`},
	{`let __sub = a: b: 42; in 5 - 3`, `42`},
	{`with { __sub = a: b: 42; }; 5 - 3`, `2`},
	{`let f = x: x; in f == f`, `false`},
	// lambda chains share one frame (ast.Lambda.FrameSize): shadowing,
	// partial applications applied twice, chains cut by a pattern
	{`(x: x: x) 1 2`, `2`},
	{`let f = a: b: a - b; g = f 10; in [(g 2) (g 3) (f 3 1)]`, `[ 8 7 2 ]`},
	{`let h = x: y: z: [x y z]; p = h 1; q = p 2; in [(q 3) (q 4) (p 5 6) (h 7 8 9)]`, `[ [ 1 2 3 ] [ 1 2 4 ] [ 1 5 6 ] [ 7 8 9 ] ]`},
	{`(a: { b }: c: [a b c]) 1 { b = 2; } 3`, `[ 1 2 3 ]`},
	{`with { x = 1; }; (a: b: with { y = 2; }; [a b x y]) 3 4`, `[ 3 4 1 2 ]`},
	{`builtins.foldl' (a: b: a * 10 + b) 0 [1 2 3]`, `123`},
	{`let n = 5; in builtins.sub n 2 + builtins.lessThan n 2`, `error: cannot add a Boolean to an integer`},
	{`let f = n: if n < 2 then n else f (n - 1) + f (n - 2); in f 15`, `610`},
	// frames reused from the free list (lambdaCode.reuse): nested, after
	// an error raised in the body, with tryEval in the body
	{`builtins.map (x: builtins.tryEval x) [ (throw "a") 2 ]`, `[ { success = false; value = false; } { success = true; value = 2; } ]`},
	{`builtins.map (x: builtins.tryEval (builtins.foldl' (a: b: if b == 0 then throw "z" else a + b) 0 x)) [[1 0] [1 2]]`, `[ { success = false; value = false; } { success = true; value = 3; } ]`},
	{`builtins.map (x: builtins.length (builtins.filter (y: y < x) [1 2 3 4])) [1 2 3]`, `[ 0 1 2 ]`},
	{`builtins.genList (i: builtins.foldl' (a: b: a * 10 + b + i) 0 [1 2]) 3`, `[ 12 23 34 ]`},
	{`builtins.sort (a: b: a > b) [3 1 2 5 4]`, `[ 5 4 3 2 1 ]`},
	{`builtins.foldl' (acc: x: if x / 2 * 2 == x then acc + 1 else acc) 0 [1 2 3 4 5 6]`, `3`},
	{`let __sub = a: b: 42; in builtins.map (x: x - (x - 1)) [5 6]`, `[ 42 42 ]`},
	{`let f = x: x; in [f] == [f]`, `true`},
	{`3 == 3.0`, `true`},
	{`[1 2] < [1 2 0]`, `true`},
	{`[1 2] < [2 "a"]`, `true`},
	{`true < false`, `error: cannot compare a Boolean with a Boolean`},
	{`rec { a = 1; b = a; __overrides = { a = 2; c = 3; }; }`, `{ __overrides = { a = 2; c = 3; }; a = 2; b = 2; c = 3; }`},
	{`{ ${null} = 1; b = 2; }`, `{ b = 2; }`},
	{`let x = {a=1;}; in [x x]`, `[ { a = 1; } «repeated» ]`},
	{`let x = [1 2]; in [x x]`, `[ [ 1 2 ] «repeated» ]`},
	{`let x = {}; in [x x]`, `[ { } { } ]`},
	{`rec { a = { b = a; }; }`, `{ a = { b = «repeated»; }; }`},
	{`{ "then" = 1; "a$b" = 2; "a\nb" = 3; "_x" = 5; "-a" = 6; "a-" = 7; "'a" = 8; }`, `{ "'a" = 8; "-a" = 6; _x = 5; "a\nb" = 3; "a\$b" = 2; a- = 7; then = 1; }`},
	{`{ __functor = self: x: x + 1; } 1`, `2`},
	{`({ x ? y, y ? 2 }: x) {}`, `2`},
	{`let f = x: x.y or "d"; in f 1`, `"d"`},
	{`assert 1 == 2; 1`, `error: assertion '(1 == 2)' failed`},
	{`"${toString 1}"`, `"1"`},
	{`{ a = 1; } // { b = 2; }`, `{ a = 1; b = 2; }`},
	{`let { x = 1; body = x + 1; }`, `2`},
	{`1.0`, `1`},
	{`0.1 + 0.2`, `0.3`},
	{`1234567.0`, `1.23457e+06`},
	{`[ null true false 1 1.5 "s" ]`, `[ null true false 1 1.5 "s" ]`},
	{`"$${x}"`, `"$\${x}"`},
	{`x: x`, `<LAMBDA>`},
	{`undefinedvar`, `error: undefined variable 'undefinedvar'`},
	{`let x = x; in x`, `error: infinite recursion encountered`},
	{`{ a = 1; }.b`, `error: attribute 'b' missing`},
	{`({ a }: a) { a = 1; b = 2; }`, `error: anonymous function at (string):1:2 called with unexpected argument 'b'`},
	{`let f = { a }: a; in f {}`, `error: 'f' at (string):1:9 called without required argument 'a'`},
	{`1 2`, `error: attempt to call something which is not a function but an integer`},
	{`let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 5000`, `5000`},
	{`(derivation { name = "a"; builder = "/foo"; system = "i686-linux"; }).outPath`, `"/nix/store/k881na1jmi2md9gkmiw441xb3vyhlsdm-a"`},
	{`(derivation { name = "a"; builder = "/foo"; system = "i686-linux"; }).drvPath`, `"/nix/store/zaz3l3zq54f6vzlqwv52zid34z0p4ba0-a.drv"`},
	{`(derivation { name = "fail"; builder = "/bin/false"; system = "x86_64-linux"; outputs = [ "out" "foo" ]; }).foo.outPath`, `"/nix/store/2jhwni9j1x0z9jv14ga7f0bylzxmrgsy-fail-foo"`},
	{`derivation { name = "a"; builder = "/b"; system = "x"; }`, `{ all = [ «repeated» ]; builder = "/b"; drvAttrs = { builder = "/b"; name = "a"; system = "x"; }; drvPath = "/nix/store/zls09i4hh0vfzm882j1ry186i11233w6-a.drv"; name = "a"; out = «repeated»; outPath = "/nix/store/jmiqmmfgfzm7hx55p1kpgbnn52ys6k29-a"; outputName = "out"; system = "x"; type = "derivation"; }`},
	{`builtins.placeholder "out"`, `"/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"`},
	{`builtins.match "(a|ab)(c|bcd)(d*)" "abcd"`, `[ "a" "bcd" "" ]`},
	{`builtins.split "(a)|(b)" "xaybz"`, `[ "x" [ "a" null ] "y" [ null "b" ] "z" ]`},
	{`__curPos`, `{ column = 1; file = "__curPos"; line = 1; }`},
	// a thunk whose evaluation failed inside tryEval is a thunk again, not a
	// black hole ("infinite recursion") when forced a second time
	{`let x = throw "a"; in [ (builtins.tryEval x).success (builtins.tryEval x).success ]`, `[ false false ]`},
	{`let f = n: if n == 0 then throw "deep" else f (n - 1); x = f 100; in [ (builtins.tryEval x).success (builtins.tryEval x).success ]`, `[ false false ]`},
	// deep recursion through selects ends in a prompt error
	{`let f = x: { a = f x; }.a; in f 1`, `error: stack overflow (possible infinite recursion)`},
}

var lazyCases = []struct{ expr, want string }{
	{`{ a = 1 + 1; b = [ (2+2) ]; c = { d = 3 + 3; }; }`, `{ a = <CODE>; b = <CODE>; c = <CODE>; }`},
	{`{ a = x: x; b = builtins.map; c = builtins.map (x: x); d = builtins.add 1; }`, `{ a = <CODE>; b = <CODE>; c = <CODE>; d = <CODE>; }`},
	{`let x = {a=1;}; in [x x]`, `[ <CODE> <CODE> ]`},
	{`with { a = 1; }; [ b ]`, `[ <CODE> ]`},
	{`with { a = 1; }; builtins.seq a [ b ]`, `error: undefined variable 'b'`},
	{`let s = { inherit s; }; in s`, `{ s = «repeated»; }`},
	{`derivation { name = "a"; builder = "/b"; system = "x"; }`, `{ all = <CODE>; builder = "/b"; drvAttrs = { builder = "/b"; name = "a"; system = "x"; }; drvPath = <CODE>; name = "a"; out = «repeated»; outPath = <CODE>; outputName = "out"; system = "x"; type = "derivation"; }`},
}

func TestEvalStrict(t *testing.T) {
	for _, c := range strictCases {
		if got := evalText(t, c.expr, true); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, got, c.want)
		}
	}
}

func TestEvalLazy(t *testing.T) {
	for _, c := range lazyCases {
		if got := evalText(t, c.expr, false); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, got, c.want)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	got := evalText(t, `let f = x: f x; in f 1`, true)
	if got != "error: stack overflow (possible infinite recursion)" {
		t.Errorf("got %s", got)
	}
}
