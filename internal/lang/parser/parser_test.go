package parser

import (
	"fmt"
	"strings"
	"testing"

	"gonix/internal/lang/ast"
)

func mustParse(t *testing.T, src string) (ast.Expr, *ast.Symbols) {
	t.Helper()
	syms := ast.NewSymbols()
	e, err := Parse(&ast.Source{Origin: ast.OriginString, Text: src}, syms, Options{BaseDir: "/base", Home: "/home/u"})
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	return e, syms
}

func at(p ast.Pos) string {
	if !p.IsValid() {
		return "-"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

func TestPositions(t *testing.T) {
	e, syms := mustParse(t, "x: { a.b = x; inherit x; inherit (x) c; f = y: y; }.a or (x.d)")
	lam := e.(*ast.Lambda)
	if at(lam.Pos) != "1:1" {
		t.Errorf("lambda at %s", at(lam.Pos))
	}
	sel := lam.Body.(*ast.Select)
	if at(sel.Pos) != "1:4" {
		t.Errorf("select at %s", at(sel.Pos))
	}
	attrs := sel.E.(*ast.Attrs)
	if at(attrs.Pos) != "1:4" {
		t.Errorf("attrs at %s", at(attrs.Pos))
	}
	want := map[string]string{"a": "1:6", "x": "1:22", "c": "1:37", "f": "1:41"}
	for _, a := range attrs.Attrs {
		if got := at(a.Pos); got != want[syms.Name(a.Name)] {
			t.Errorf("attribute %s at %s, want %s", syms.Name(a.Name), got, want[syms.Name(a.Name)])
		}
	}
	x := attrs.Attrs[attrs.Find(syms.Intern("x"))]
	if v, ok := x.Value.(*ast.Var); !ok || !x.Inherited || at(v.Pos) != "1:5" {
		t.Errorf("inherit x: %#v", x)
	}
	c := attrs.Attrs[attrs.Find(syms.Intern("c"))]
	if s, ok := c.Value.(*ast.Select); !ok || c.Inherited || at(s.Pos) != "1:5" {
		t.Errorf("inherit (x) c: %#v", c)
	}
	nested := attrs.Attrs[attrs.Find(syms.Intern("a"))].Value.(*ast.Attrs)
	if at(nested.Pos) != "-" || at(nested.Attrs[0].Pos) != "1:6" {
		t.Errorf("nested set at %s, b at %s", at(nested.Pos), at(nested.Attrs[0].Pos))
	}
	if d := sel.Default.(*ast.Select); at(d.Pos) != "1:59" || at(d.E.(*ast.Var).Pos) != "1:59" {
		t.Errorf("default at %s", at(d.Pos))
	}
}

func TestPositionsOperators(t *testing.T) {
	// (a + "x${b}y") && ((-a) == ((a b) c))
	e, _ := mustParse(t, `a: b: a + "x${b}y" && -a == (a b) c`)
	body := e.(*ast.Lambda).Body.(*ast.Lambda).Body
	and := body.(*ast.BinOp)
	if and.Op != ast.OpAnd || at(and.Pos) != "1:7" {
		t.Fatalf("&&: %#v", and)
	}
	plus := and.A.(*ast.ConcatStrings)
	if plus.ForceString || at(plus.Pos) != "1:7" || at(plus.PartPos[0]) != "1:7" || at(plus.PartPos[1]) != "1:11" {
		t.Errorf("+: %v %v", at(plus.Pos), plus.PartPos)
	}
	str := plus.Parts[1].(*ast.ConcatStrings)
	if !str.ForceString || at(str.Pos) != "1:12" || len(str.Parts) != 3 || at(str.PartPos[1]) != "1:13" || at(str.PartPos[2]) != "1:17" {
		t.Errorf("string: %s %v", at(str.Pos), str.PartPos)
	}
	eq := and.B.(*ast.BinOp)
	if eq.Op != ast.OpEq || at(eq.Pos) != "-" {
		t.Errorf("want == without position, got %#v", eq)
	}
	neg := eq.A.(*ast.Call)
	if at(neg.Pos) != "1:23" || at(neg.Fn.(*ast.Var).Pos) != "-" {
		t.Errorf("unary minus at %s", at(neg.Pos))
	}
	call := eq.B.(*ast.Call)
	if len(call.Args) != 2 || at(call.Pos) != "1:30" {
		t.Errorf("(a b) c: %d args at %s", len(call.Args), at(call.Pos))
	}
}

func TestLambdaNames(t *testing.T) {
	e, syms := mustParse(t, "let f = a: b: a; g = { h = x: x; i.j = y: y; k = (z: z); }; in { inherit f; m = f; }")
	let := e.(*ast.Let)
	name := func(e ast.Expr) string {
		l, ok := e.(*ast.Lambda)
		if !ok {
			return "not a lambda"
		}
		if l.Name == ast.NoSymbol {
			return "anonymous"
		}
		return syms.Name(l.Name)
	}
	f := let.Attrs.Attrs[let.Attrs.Find(syms.Intern("f"))].Value.(*ast.Lambda)
	if name(f) != "f" || name(f.Body) != "f" {
		t.Errorf("f: %s, inner %s", name(f), name(f.Body))
	}
	g := let.Attrs.Attrs[let.Attrs.Find(syms.Intern("g"))].Value.(*ast.Attrs)
	for n, want := range map[string]string{"h": "h", "k": "k"} {
		if got := name(g.Attrs[g.Find(syms.Intern(n))].Value); got != want {
			t.Errorf("%s: %s", n, got)
		}
	}
	i := g.Attrs[g.Find(syms.Intern("i"))].Value.(*ast.Attrs)
	if got := name(i.Attrs[0].Value); got != "j" {
		t.Errorf("i.j: %s", got)
	}
	if l, _ := mustParse(t, "x: x"); l.(*ast.Lambda).Name != ast.NoSymbol {
		t.Errorf("top-level lambda named")
	}
}

func TestInterningOrder(t *testing.T) {
	tests := []struct{ src, want string }{
		// A lambda's argument is interned when Bison reduces the lambda,
		// after its body; formals as each formal ends.
		{"a: let y = 1; in a", "y a"},
		{"{ b ? a, a }: b", "a b"},
		{"{ b = 1; a = 2; }", "b a"},
		{"x: x.c.d or x.e", "x c d e"},
		{"x: x or", "x or"},
		{"let { body = 1; }", "body"},
		{"x: { inherit (x) q; p = 1; }", "x q p"},
	}
	for _, tc := range tests {
		_, syms := mustParse(t, tc.src)
		var names []string
		for i := 1; i < syms.Len(); i++ { // 0 is the source text
			names = append(names, syms.Name(ast.Symbol(i)))
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("%q interns %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestSortedBySymbol(t *testing.T) {
	e, syms := mustParse(t, "{ z, b, a ? 1 }: { y = 1; c = 2; x = 3; }")
	lam := e.(*ast.Lambda)
	var names []string
	for _, f := range lam.Formals {
		names = append(names, syms.Name(f.Name))
	}
	if got := strings.Join(names, ","); got != "z,b,a" {
		t.Errorf("formals %s", got)
	}
	attrs := lam.Body.(*ast.Attrs)
	names = nil
	for _, a := range attrs.Attrs {
		names = append(names, syms.Name(a.Name))
	}
	if got := strings.Join(names, ","); got != "y,c,x" {
		t.Errorf("attrs %s", got)
	}
}

func TestSharedInheritFrom(t *testing.T) {
	e, _ := mustParse(t, "x: { inherit (x) a b; }")
	attrs := e.(*ast.Lambda).Body.(*ast.Attrs)
	if attrs.Attrs[0].Value.(*ast.Select).E != attrs.Attrs[1].Value.(*ast.Select).E {
		t.Errorf("inherit (e) should share e, as Nix does")
	}
}

func TestPaths(t *testing.T) {
	tests := []struct{ src, want string }{
		{"./a/../b", "/base/b"},
		{"./.", "/base"},
		{"~/x/../y", "/home/u/x/../y"},
		{"x: ./a/${x}", "(x: (/base/a/ + x))"},
		{"x: ./${x}", "(x: (/base/ + x))"},
		{"x: ~/${x}", "(x: (/home/u/ + x))"},
	}
	for _, tc := range tests {
		e, syms := mustParse(t, tc.src)
		var b strings.Builder
		ast.Show(&b, syms, e)
		if b.String() != tc.want {
			t.Errorf("%q: got %s, want %s", tc.src, b.String(), tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	deep := strings.Repeat("[", 4999) + strings.Repeat("]", 4999)
	ok := strings.Repeat("[", 4000) + strings.Repeat("]", 4000)
	tests := []struct{ src, want string }{
		{deep, "memory exhausted at 1:4999"},
		{strings.Repeat("(", 20000), "memory exhausted"},
		{strings.Repeat("x: ", 20000) + "1", "memory exhausted"},
		{ok, ""},
		{"{ a = 1; a = 2; }", "attribute 'a' already defined at (string):1:3 at 1:10"},
		{"x: let ${x} = 1; in 1", "dynamic attributes not allowed in let at 1:4"},
	}
	for _, tc := range tests {
		_, err := Parse(&ast.Source{Origin: ast.OriginString, Text: tc.src}, ast.NewSymbols(), Options{BaseDir: "/"})
		got := ""
		if err != nil {
			pe := err.(*Error)
			got = fmt.Sprintf("%s at %d:%d", pe.Msg, pe.Pos.Line, pe.Pos.Col)
		}
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			name := tc.src
			if len(name) > 30 {
				name = name[:30] + "…"
			}
			t.Errorf("%q: got %q, want %q", name, got, tc.want)
		}
	}
}

func TestStdinPosInMessage(t *testing.T) {
	_, err := Parse(&ast.Source{Origin: ast.OriginStdin, Text: "{a=1;a=2;}"}, ast.NewSymbols(), Options{})
	if err == nil || err.Error() != "attribute 'a' already defined at (string):1:2" {
		t.Errorf("got %v", err)
	}
	_, err = Parse(&ast.Source{Origin: ast.OriginFile, Path: "/f.nix", Text: "{a=1;a=2;}"}, ast.NewSymbols(), Options{})
	if err == nil || err.Error() != "attribute 'a' already defined at /f.nix:1:2" {
		t.Errorf("got %v", err)
	}
}
