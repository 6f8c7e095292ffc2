package eval

import "testing"

// The evaluator's tables (expected outputs measured on Nix 2.8) through
// both ways a thunk's expression can run: interpreted, the first time it
// is forced, and compiled.
//   - Each case with thunks compiled the first time too must give the
//     table's output (the tables' own tests mostly interpret).
//   - Each case made a thunk first (`let x = (…); in x`, so that the
//     whole expression is interpreted) must give the same output either
//     way.
func TestInterpretedAndCompiledAgree(t *testing.T) {
	var cases []builtinCase
	for _, c := range strictCases {
		cases = append(cases, builtinCase{strict: true, expr: c.expr, want: c.want})
	}
	for _, c := range lazyCases {
		cases = append(cases, builtinCase{expr: c.expr, want: c.want})
	}
	for _, tab := range [][]builtinCase{attrsCases, listsCases, miscCases, stringsCases, traceCases} {
		cases = append(cases, tab...)
	}
	if len(cases) < 300 {
		t.Fatalf("only %d cases", len(cases))
	}
	compiled := Options{compileFirst: true}
	for _, c := range cases {
		got, stderr := evalBuiltinCaseWith(t, compiled, c)
		if got != c.want {
			t.Errorf("%s (strict=%v), compiled first:\n got  %s\n want %s", c.expr, c.strict, got, c.want)
		}
		if c.stderr != "" && stderr != c.stderr {
			t.Errorf("%s, compiled first: stderr:\n got  %q\n want %q", c.expr, stderr, c.stderr)
		}
		thunk := c
		thunk.expr = "let x__ = (\n" + c.expr + "\n); in x__"
		interpreted, stderr1 := evalBuiltinCaseWith(t, Options{}, thunk)
		comp, stderr2 := evalBuiltinCaseWith(t, compiled, thunk)
		if interpreted != comp || stderr1 != stderr2 {
			t.Errorf("%s (strict=%v) as a thunk:\n interpreted %s %q\n compiled    %s %q", c.expr, c.strict, interpreted, stderr1, comp, stderr2)
		}
	}
}
