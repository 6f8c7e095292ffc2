package eval

import "testing"

// Cases for the evaluator's shortcuts (speculated arguments and the
// frames their thunks copy, one frame and one accumulator cell per foldl', genList's
// shared index cells, galloping //, fromJSON objects, bit operations);
// every expected result was printed by Nix 2.8.
var shortcutCases = []struct{ expr, want string }{
	// a speculated `n - 1` whose operand is still a thunk: the thunk is
	// made over a copy of the frame and must see this call's n
	{`let g = m: [m]; in map (n: g (n - 1)) [ (1+1) (2+2) (3+3) ]`, `[ [ 1 ] [ 3 ] [ 5 ] ]`},
	{`let h = m: { v = m; }; in map (n: h (n * 2)) [ (1+1) 5 (3+3) ]`, `[ { v = 4; } { v = 10; } { v = 12; } ]`},
	{`let g = m: [m]; in builtins.foldl' (acc: x: g (x - 1)) [] [ (1+1) (2+2) ]`, `[ 3 ]`},
	{`let g = m: [m]; in builtins.genList (i: g (i + 10)) 3`, `[ [ 10 ] [ 11 ] [ 12 ] ]`},
	{`let g = m: [m]; f = n: if n < 1 then g (n - 5) else f (n - 1); in f 3`, `[ -5 ]`},
	{`let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 15`, `610`},
	{`let g = m: [m]; q = n: g (n - 1); in (builtins.tryEval (builtins.deepSeq (q (throw "x")) 1)).success`, `false`},
	{`let g = m: [m]; q = n: g (n - 1); in q "x"`, `error: value is a string while an integer was expected`},
	{`let f = n: n; in f (1 / 0)`, `error: division by zero`},
	{`let f = n: 7; in f (1 / 0)`, `7`},
	// the copied frame does not share the cells that go back to a free
	// list with their frame: the argument of a speculated call (n below,
	// h's frame and cell come from a free list), foldl's accumulator
	{`let z = 0 + 0; g = m: [m]; h = n: g (n - z); k = n: h (n + 1); in map (n: k n) [ 1 2 ]`, `[ [ 2 ] [ 3 ] ]`},
	{`let z = 0 + 0; g = m: [m]; h = n: g (n - z); in builtins.genList (i: h (i + 10)) 3`, `[ [ 10 ] [ 11 ] [ 12 ] ]`},
	{`let g = m: m; in builtins.foldl' (acc: x: g (acc - x)) 10 [ (1+1) (2+2) (3+3) ]`, `-2`},
	// a speculated argument of a builtin, at the top level (the base
	// frame is not copied) and in a lambda
	{`toString (-42)`, `"-42"`},
	{`let f = x: toString (x - 1); z = 2 + 2; in [ (f 3) (f z) (toString (z - 5)) ]`, `[ "2" "3" "-1" ]`},
	{`let g = m: [m]; in builtins.foldl' (acc: x: [ (g (x - 1)) acc ]) 0 [ (1+1) 5 (2+5) ]`, `[ [ 6 ] [ [ 4 ] [ [ 1 ] 0 ] ] ]`},
	// foldl' reusing its frame and accumulator cell
	{`builtins.foldl' (acc: x: acc + x) 0 [1 2 3]`, `6`},
	{`let id = x: x; in builtins.foldl' (acc: x: id acc) 7 [1 2 3]`, `7`},
	{`builtins.foldl' (acc: x: acc // x) {} [ {a=1;} {b=2;} {a=3;} ]`, `{ a = 3; b = 2; }`},
	{`builtins.foldl' (acc: x: f: acc) 1 [1 2]`, `<LAMBDA>`},
	{`(builtins.tryEval (builtins.foldl' (acc: x: if x == 2 then throw "t" else acc + x) 0 [1 2 3])).success`, `false`},
	{`builtins.foldl' (acc: x: builtins.foldl' (a: b: a + b) acc x) 0 [[1 2] [3 4]]`, `10`},
	{`let g = acc: x: builtins.bitAnd (acc * 31 + x) 1023; in builtins.foldl' g 7 (builtins.genList (i: i) 100)`, `185`},
	// bit operations: the first operand is checked before the second is evaluated
	{`[ (builtins.bitAnd 12 10) (builtins.bitOr 12 10) (builtins.bitXor 12 10) ]`, `[ 8 14 6 ]`},
	{`builtins.bitAnd "x" (throw "y")`, `error: value is a string while an integer was expected`},
	{`builtins.bitOr 1 "a"`, `error: value is a string while an integer was expected`},
	{`let builtins = { bitAnd = a: b: a; }; in builtins.bitAnd 5 (throw "no")`, `5`},
	// genList shares the index cells of the State
	{`[ (builtins.genList (i: i * i) 4) (builtins.genList (i: i) 2) (builtins.elemAt (builtins.genList (x: x) 70000) 69999) ]`, `[ [ 0 1 4 9 ] [ 0 1 ] 69999 ]`},
	{`(builtins.tryEval (builtins.elemAt (builtins.genList (i: if i == 1 then throw "e" else i) 3) 1)).success`, `false`},
	// map results of 1 to 4 elements share one allocation with their list
	{`map (n: map (x: x * n) (builtins.genList (i: i) n)) [ 1 2 3 4 5 ] ++ [ (map toString [ 1 ]) (map (x: x) [ ]) (builtins.tail (map (x: x + 1) [ 1 2 3 ])) ]`,
		`[ [ 0 ] [ 0 2 ] [ 0 3 6 ] [ 0 4 8 12 ] [ 0 5 10 15 20 ] [ "1" ] [ ] [ 3 4 ] ]`},
	// // merges runs
	{`let mk = l: builtins.listToAttrs (map (n: { name = n; value = l; }) l); a = mk [ "a" "c" "e" "g" "x1" "x2" "x3" "z" ]; b = mk [ "b" "c" "d" "x3" "y" "z" "zz" ]; in builtins.attrNames (a // b) ++ [ (a // b).c (b // a).c ]`,
		`[ "a" "b" "c" "d" "e" "g" "x1" "x2" "x3" "y" "z" "zz" [ "b" "c" "d" "x3" "y" "z" "zz" ] [ "a" "c" "e" "g" "x1" "x2" "x3" "z" ] ]`},
	// fromJSON: a repeated key keeps its place and takes the last value
	{`builtins.fromJSON "{\"a\":1,\"b\":[1,2,{\"c\":3,\"a\":4,\"c\":5}],\"a\":2}"`, `{ a = 2; b = [ 1 2 { a = 4; c = 5; } ]; }`},
	{`builtins.toJSON { b = 1; a = [ (-2) true null "x" ]; ab = { }; }`, `"{\"a\":[-2,true,null,\"x\"],\"ab\":{},\"b\":1}"`},
}

func TestShortcuts(t *testing.T) {
	for _, c := range shortcutCases {
		if got := evalText(t, c.expr, true); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, got, c.want)
		}
	}
}
