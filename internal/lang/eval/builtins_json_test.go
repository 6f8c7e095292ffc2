package eval

import (
	"strings"
	"testing"

	"gonix/internal/lang/ast"
)

// jsonCases were measured with nix-instantiate 2.8.0 --eval --strict
// --readonly-mode in a copy of fileFixture ($D is its directory; the
// first line of the output is kept).
var jsonCases = []struct{ expr, want string }{
	// a set's __toString result is not copied to the store (tryAttrsToString)
	{`builtins.toJSON { __toString = s: ./f.txt; }`, `"\"$D/f.txt\""`},
	{`builtins.toJSON { a = 1; b = [ true null 1.5 "x\n" ]; c = ./f.txt; }`, `"{\"a\":1,\"b\":[true,null,1.5,\"x\\n\"],\"c\":\"/nix/store/if2l83kc9xc6imigiw8g3mmvl0sg9cv8-f.txt\"}"`},
	{`builtins.getContext (builtins.toJSON { c = ./f.txt; d = builtins.toFile "x" "y"; })`, `{ "/nix/store/if2l83kc9xc6imigiw8g3mmvl0sg9cv8-f.txt" = { path = true; }; "/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x" = { path = true; }; }`},
	{`builtins.toJSON { a = throw "boom"; }`, `error: boom`},
	{`builtins.toJSON { __toString = s: "hi"; }`, `"\"hi\""`},
	{`builtins.toJSON { outPath = "o"; a = 1; }`, `"\"o\""`},
	{`builtins.toJSON 1234567.0`, `"1.23457e+06"`},
	{`builtins.toJSON "\u0001/é\t\"\\"`, `"\"u0001/é\\t\\\"\\\\\""`},
	{`builtins.toJSON { b = 1; a = 2; "" = 3; A = 4; }`, `"{\"\":3,\"A\":4,\"a\":2,\"b\":1}"`},
	{`builtins.toJSON (derivation { name = "d"; system = "x"; builder = "b"; })`, `"\"/nix/store/74ii7m3ms7x609g9mcy8j52jfvpdizcp-d\""`},
	{`builtins.getContext (builtins.toJSON (derivation { name = "d"; system = "x"; builder = "b"; }))`, `{ "/nix/store/nzvhjdd45mdh8mkqm4vz4hdqsjrvkm8j-d.drv" = { outputs = [ "out" ]; }; }`},
	{`builtins.toXML { a = 1; b = [ "s" ./f.txt ]; f = x: x; }`, `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <attrs>\n    <attr name=\"a\">\n      <int value=\"1\" />\n    </attr>\n    <attr name=\"b\">\n      <list>\n        <string value=\"s\" />\n        <path value=\"$D/f.txt\" />\n      </list>\n    </attr>\n    <attr name=\"f\">\n      <function>\n        <varpat name=\"x\" />\n      </function>\n    </attr>\n  </attrs>\n</expr>\n"`},
	{`builtins.getContext (builtins.toXML [ (builtins.toFile "x" "y") ])`, `{ "/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x" = { path = true; }; }`},
	{`builtins.getContext (builtins.toXML [ ./f.txt ])`, `{ }`},
	{`builtins.toXML (builtins.toFile "x" "y")`, `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <string value=\"/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x\" />\n</expr>\n"`},
	{`builtins.getContext (builtins.toXML (derivation { name = "d"; system = "x"; builder = "b"; }))`, `{ "/nix/store/nzvhjdd45mdh8mkqm4vz4hdqsjrvkm8j-d.drv" = { allOutputs = true; outputs = [ "out" ]; }; }`},
	{`builtins.getContext (builtins.toXML [ { type = "derivation"; drvPath = "/d"; a = builtins.toFile "x" "y"; } { type = "derivation"; drvPath = "/d"; b = builtins.toFile "z" "y"; } ])`, `{ "/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x" = { path = true; }; }`},
	{`builtins.toXML [ 1.5 null true "a<b>&\"\n" ]`, `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <list>\n    <float value=\"1.5\" />\n    <null />\n    <bool value=\"true\" />\n    <string value=\"a&lt;b&gt;&amp;&quot;&#xA;\" />\n  </list>\n</expr>\n"`},
	{`builtins.toXML (throw "x")`, `error: x`},
	{`builtins.fromJSON "  {\"a\": [1, 2.5, -3, 1e2, true, null, \"\\u00e9\"]} "`, `{ a = [ 1 2.5 -3 100 true null "é" ]; }`},
	{`builtins.fromJSON (builtins.toFile "x" "1")`, `error: the string '/nix/store/gw6pp7271411a0q8gjzli79z9j51wspk-x' is not allowed to refer to a store path (such as '/nix/store/gw6pp7271411a0q8gjzli79z9j51wspk-x')`},
	{`builtins.fromJSON 1`, `error: value is an integer while a string was expected`},
	{`builtins.fromJSON "12345678901234567890"`, `-6101065172474983726`},
	{`builtins.fromJSON "-92233720368547758080"`, `-9.22337e+19`},
	{`builtins.fromJSON "1e400"`, `error: [json.exception.out_of_range.406] number overflow parsing '1e400'`},
	{`builtins.fromJSON "[1,]"`, `error: [json.exception.parse_error.101] parse error at line 1, column 4: syntax error while parsing value - unexpected ']'; expected '[', '{', or a literal`},
	{`builtins.fromJSON ""`, `error: [json.exception.parse_error.101] parse error at line 1, column 1: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal`},
	{`builtins.fromJSON "{\"a\":1,\"a\":2}"`, `{ a = 2; }`},
	{`builtins.fromJSON "{\"b\":1,\"a\":{\"c\":[]},\"a\":{}}"`, `{ a = { }; b = 1; }`},
	{`builtins.fromJSON "\"a\\u0000b\""`, `"a"`},
	{`builtins.fromJSON "[[[[[]]]]]"`, `[ [ [ [ [ ] ] ] ] ]`},
	{`builtins.typeOf (builtins.fromJSON "1.0")`, `"float"`},
	{`builtins.fromJSON "\"\\ud83d\\ude00\""`, `"😀"`},
	{`builtins.fromJSON "[1] x"`, `error: [json.exception.parse_error.101] parse error at line 1, column 5: syntax error while parsing value - invalid literal; last read: '1] x'; expected end of input`},
	{`builtins.fromTOML "a = 1\n[b]\nc = [1, 2.5]\nd = \"x\""`, `{ a = 1; b = { c = [ 1 2.5 ]; d = "x"; }; }`},
	{`fromTOML "x = 0x1F"`, `{ x = 31; }`},
	{`builtins.fromTOML 1`, `error: value is an integer while a string was expected`},
	{`builtins.fromTOML "a = 1979-05-27"`, `error: while parsing a TOML string: Dates and times are not supported`},
	{`builtins.fromTOML ""`, `{ }`},
	{`builtins.fromTOML "[[t]]\na=1\n[[t]]\nb=2"`, `{ t = [ { a = 1; } { b = 2; } ]; }`},
	{`builtins.fromTOML "a = inf\nb = -inf\nc = true\nd = 'lit'"`, `{ a = inf; b = -inf; c = true; d = "lit"; }`},
	{`builtins.fromTOML (builtins.toFile "x" "")`, `error: the string '/nix/store/gakslir528a29f7ppaf28ip8rdwqcnss-x' is not allowed to refer to a store path (such as '/nix/store/gakslir528a29f7ppaf28ip8rdwqcnss-x')`},
	{`builtins.fromTOML "a.b.c = 1"`, `{ a = { b = { c = 1; }; }; }`},
	{`builtins.fromTOML "x = 99999999999999999999"`, `{ x = 9223372036854775807; }`},
}

func TestJSONBuiltins(t *testing.T) {
	dir := fileFixture(t)
	for _, c := range jsonCases {
		want := strings.ReplaceAll(c.want, "$D", dir)
		if got, _ := evalIn(t, dir, c.expr); got != want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, got, want)
		}
	}
}

// TestJSONBuiltinsOracle re-measures jsonCases on real Nix 2.8.
func TestJSONBuiltinsOracle(t *testing.T) {
	nix := nixOracle(t)
	dir := fileFixture(t)
	for _, c := range jsonCases {
		want := oracleFirstLine(t, nix, dir, c.expr)
		if got, _ := evalIn(t, dir, c.expr); got != want {
			t.Errorf("%s\n gonix: %s\n   nix: %s", c.expr, got, want)
		}
	}
}

func TestFromJSONDuplicateKeysAndErrors(t *testing.T) {
	dir := fileFixture(t)
	// The last duplicate wins even when it is a different type, and the
	// error carries Nix's "while decoding a JSON string" trace line.
	if got, _ := evalIn(t, dir, `builtins.fromJSON "{\"a\":[1],\"b\":2,\"a\":\"x\"}"`); got != `{ a = "x"; b = 2; }` {
		t.Errorf("duplicate keys: got %s", got)
	}
	st := New(Options{})
	e, err := st.ParseString(`builtins.fromJSON "[1,]"`, dir, ast.OriginString)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Eval(e)
	ee, ok := err.(*Error)
	if !ok || ee.Pos.IsValid() || len(ee.Trace) != 1 || ee.Trace[0].Msg != "while decoding a JSON string" || !ee.Trace[0].Pos.IsValid() {
		t.Errorf("fromJSON error shape: %#v", err)
	}
}
