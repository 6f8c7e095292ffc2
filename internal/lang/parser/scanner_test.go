package parser

import (
	"fmt"
	"strings"
	"testing"
)

// scanAll renders the token stream of src: KIND, its value in brackets
// where it has one, and @LINE:COL.
func scanAll(src string) string {
	s := newScanner(src)
	var out []string
	for i := 0; i < 100; i++ {
		t := s.next()
		v := ""
		switch t.kind {
		case tID, tINT, tFLOAT, tPATH, tHPATH, tSPATH, tURI:
			v = "(" + t.text + ")"
		case tSTR, tINDSTR:
			v = fmt.Sprintf("(%q)", t.text)
			if t.kind == tINDSTR && !t.indent {
				v += "!"
			}
		case tError:
			v = "(" + t.text + ")"
		}
		out = append(out, fmt.Sprintf("%s%s@%d:%d", t.kind, v, t.line, t.col))
		if t.kind == tEOF || t.kind == tError {
			break
		}
	}
	return strings.Join(out, " ")
}

func TestScanner(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "end of file@1:1"},
		{"  x", "ID(x)@1:3 end of file@1:3"},
		{"x  ", "ID(x)@1:1 end of file@1:2"},
		{"if then else assert with let in rec inherit or", "IF@1:1 THEN@1:4 ELSE@1:9 ASSERT@1:14 WITH@1:21 LET@1:26 IN@1:30 REC@1:33 INHERIT@1:37 OR_KW@1:45 end of file@1:45"},
		{"iff or-x in'", "ID(iff)@1:1 ID(or-x)@1:5 ID(in')@1:10 end of file@1:10"},
		{"a-b a'b _x", "ID(a-b)@1:1 ID(a'b)@1:5 ID(_x)@1:9 end of file@1:9"},
		{"... == != <= >= && || -> // ++", "ELLIPSIS@1:1 EQ@1:5 NEQ@1:8 LEQ@1:11 GEQ@1:14 AND@1:17 OR@1:20 IMPL@1:23 UPDATE@1:26 CONCAT@1:29 end of file@1:29"},
		{"<>+-*/?:{}@;!.()[]=,", "'<'@1:1 '>'@1:2 '+'@1:3 '-'@1:4 '*'@1:5 '/'@1:6 '?'@1:7 ':'@1:8 '{'@1:9 '}'@1:10 '@'@1:11 ';'@1:12 '!'@1:13 '.'@1:14 '('@1:15 ')'@1:16 '['@1:17 ']'@1:18 '='@1:19 ','@1:20 end of file@1:20"},
		{"~ & `", "invalid token@1:1 invalid token@1:3 invalid token@1:5 end of file@1:5"},
		{"007 123", "INT(007)@1:1 INT(123)@1:5 end of file@1:5"},
		{"9223372036854775808", "error(invalid integer '9223372036854775808')@1:1"},
		{"1.5 .5 1. 0.5 1.e2 1.5E-3", "FLOAT(1.5)@1:1 FLOAT(.5)@1:5 FLOAT(1.)@1:8 FLOAT(0.5)@1:11 FLOAT(1.e2)@1:15 FLOAT(1.5E-3)@1:20 end of file@1:20"},
		{"1e20", "INT(1)@1:1 ID(e20)@1:2 end of file@1:2"},
		{"01.5", "INT(01)@1:1 FLOAT(.5)@1:3 end of file@1:3"},
		{"1.5e", "FLOAT(1.5)@1:1 ID(e)@1:4 end of file@1:4"},
		{"1.0e-400", "error(invalid float '1.0e-400')@1:1"},
		{"1.0e400", "error(invalid float '1.0e400')@1:1"},
		{"0.0e-400", "FLOAT(0.0e-400)@1:1 end of file@1:1"},
		{"x:x a:b:c", "URI(x:x)@1:1 URI(a:b:c)@1:5 end of file@1:5"},
		{"https://x.org/#frag", "URI(https://x.org/)@1:1 end of file@1:15"},
		{"x: x", "ID(x)@1:1 ':'@1:2 ID(x)@1:4 end of file@1:4"},
		{"./a a/b 2/3 1.0/3 /a/b/ ", "PATH(./a)@1:1 PATH_END@1:1 PATH(a/b)@1:5 PATH_END@1:5 PATH(2/3)@1:9 PATH_END@1:9 PATH(1.0/3)@1:13 PATH_END@1:13 PATH(/a/b/)@1:19 error(path has a trailing slash)@1:24"},
		{"+/a ++/a", "PATH(+/a)@1:1 PATH_END@1:1 PATH(++/a)@1:5 PATH_END@1:4 end of file@1:4"},
		{"./a", "PATH(./a)@1:1 PATH_END@1:1 end of file@1:1"},
		{" ./a", "PATH(./a)@1:2 PATH_END@1:1 end of file@1:1"},
		{"/", "'/'@1:1 end of file@1:1"},
		{"./x///y", "PATH(./x/)@1:1 STR(\"/\")@1:5 STR(\"/y\")@1:6 PATH_END@1:5 end of file@1:5"},
		{"~/a ~/a/", "HPATH(~/a)@1:1 PATH_END@1:1 HPATH(~/a/)@1:5 error(path has a trailing slash)@1:5"},
		{"<nixpkgs/lib> <a>", "SPATH(<nixpkgs/lib>)@1:1 SPATH(<a>)@1:15 end of file@1:15"},
		{"<a/>", "'<'@1:1 ID(a)@1:2 '/'@1:3 '>'@1:4 end of file@1:4"},
		{"./${x}", "PATH(./)@1:1 DOLLAR_CURLY@1:3 ID(x)@1:5 '}'@1:6 PATH_END@1:5 end of file@1:5"},
		{"~/${x}", "HPATH(~/)@1:1 DOLLAR_CURLY@1:3 ID(x)@1:5 '}'@1:6 PATH_END@1:5 end of file@1:5"},
		{"./a-${x}-b/c ", "PATH(./a-)@1:1 DOLLAR_CURLY@1:5 ID(x)@1:7 '}'@1:8 STR(\"-b/c\")@1:9 PATH_END@1:9 end of file@1:13"},
		{"./a/${x}/", "PATH(./a/)@1:1 DOLLAR_CURLY@1:5 ID(x)@1:7 '}'@1:8 STR(\"/\")@1:9 error(path has a trailing slash)@1:9"},
		{`"abc"`, `'"'@1:1 STR("abc")@1:2 '"'@1:5 end of file@1:5`},
		{`"a\nb\tc\rd\\e\"f\$g\qh"`, `'"'@1:1 STR("a\nb\tc\rd\\e\"f$gqh")@1:2 '"'@1:24 end of file@1:24`},
		{`"$${x}"`, `'"'@1:1 STR("$${x}")@1:2 '"'@1:7 end of file@1:7`},
		{`"a$"`, `'"'@1:1 STR("a$")@1:2 '"'@1:4 end of file@1:4`},
		{`"a${b}c"`, `'"'@1:1 STR("a")@1:2 DOLLAR_CURLY@1:3 ID(b)@1:5 '}'@1:6 STR("c")@1:7 '"'@1:8 end of file@1:8`},
		{"\"a\r\nb\rc\\\rd\"", `'"'@1:1 STR("a\nb\nc\rd")@1:2 '"'@4:2 end of file@4:2`},
		{`"a$`, `'"'@1:1 STR("a")@1:2 STR("")@1:3 end of file@1:3`},
		{`"\`, `'"'@1:1 STR("")@1:2 end of file@1:2`},
		{"\"a\x00b\"", `'"'@1:1 STR("a")@1:2 '"'@1:5 end of file@1:5`},
		{"''\n  a\n''", `IND_STRING_OPEN@1:1 IND_STR("  a\n")@2:1 IND_STRING_CLOSE@3:1 end of file@3:1`},
		{"''  \n  a''", `IND_STRING_OPEN@1:1 IND_STR("  a")@2:1 IND_STRING_CLOSE@2:4 end of file@2:4`},
		{"''  a''", `IND_STRING_OPEN@1:1 IND_STR("  a")@1:3 IND_STRING_CLOSE@1:6 end of file@1:6`},
		{"''\r\n''", `IND_STRING_OPEN@1:1 IND_STR("\r\n")@1:3 IND_STRING_CLOSE@2:1 end of file@2:1`},
		{`''a''$b'''c''\nd''\e${x}'$$''`, `IND_STRING_OPEN@1:1 IND_STR("a")@1:3 IND_STR("$")!@1:4 IND_STR("b")@1:7 IND_STR("''")!@1:8 IND_STR("c")@1:11 IND_STR("\n")!@1:12 IND_STR("d")@1:16 IND_STR("e")!@1:17 DOLLAR_CURLY@1:21 ID(x)@1:23 '}'@1:24 IND_STR("'")!@1:25 IND_STR("$$")@1:26 IND_STRING_CLOSE@1:28 end of file@1:28`},
		{`''$'`, `IND_STRING_OPEN@1:1 IND_STR("$")!@1:3 IND_STR("'")!@1:4 end of file@1:4`},
		{"# c\n1 /* x\n */ 2 /* open", "INT(1)@2:1 INT(2)@3:5 '/'@3:7 '*'@3:8 ID(open)@3:10 end of file@3:10"},
		{"1\x00 garbage", "INT(1)@1:1 end of file@1:2"},
		{"{ } }", "'{'@1:1 '}'@1:3 '}'@1:5 end of file@1:5"},
		{`"${ {a=1;}.a }x"`, `'"'@1:1 DOLLAR_CURLY@1:2 '{'@1:5 ID(a)@1:6 '='@1:7 INT(1)@1:8 ';'@1:9 '}'@1:10 '.'@1:11 ID(a)@1:12 '}'@1:14 STR("x")@1:15 '"'@1:16 end of file@1:16`},
		{"a\tb\r\nc", "ID(a)@1:1 ID(b)@1:3 ID(c)@2:1 end of file@2:1"},
	}
	for _, tc := range tests {
		if got := scanAll(tc.src); got != tc.want {
			t.Errorf("scan %q:\n got %s\nwant %s", tc.src, got, tc.want)
		}
	}
}

func TestUnescapeStr(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a\nb`, "a\nb"},
		{`\u00e9`, "u00e9"},
		{"a\r\nb\rc", "a\nb\nc"},
		{"\\\r\n", "\r\n"},
		{"a\x00b", "a"},
		{"\\\x00b", "\x00b"},
	}
	for _, tc := range tests {
		if got := unescapeStr(tc.in); got != tc.want {
			t.Errorf("unescapeStr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCanonPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/a/./b/../c", "/a/c"},
		{"//a//b/", "/a/b"},
		{"/..", "/"},
		{"/a/..", "/"},
		{"/a/.b/..c", "/a/.b/..c"},
	}
	for _, tc := range tests {
		if got := canonPath(tc.in); got != tc.want {
			t.Errorf("canonPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := absPath("./a", "/"); got != "/a" {
		t.Errorf("absPath(./a, /) = %q", got)
	}
}
