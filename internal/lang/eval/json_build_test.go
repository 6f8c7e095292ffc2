package eval

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"gonix/internal/format/jsonstr"
	"gonix/internal/lang/ast"
)

// Values fromJSON shares between members (constants, small integers,
// repeated short strings) must behave as separate values.
func TestFromJSONSharedCells(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ expr, want string }{
		{`builtins.fromJSON "[true,true,false,null,null,0,3,-1,7000000,3]"`, `[ true true false null null 0 3 -1 7000000 3 ]`},
		{`let xs = builtins.genList (i: i * 2) 5; in [ (builtins.elemAt xs 1) (builtins.fromJSON "[1,2,{\"x\":4}]") xs ]`,
			`[ 2 [ 1 2 { x = 4; } ] [ 0 2 4 6 8 ] ]`},
		{`builtins.fromJSON "{\"a\":true,\"b\":true,\"a\":1,\"c\":null,\"c\":\"s\",\"d\":false}"`, `{ a = 1; b = true; c = "s"; d = false; }`},
		{`let l = builtins.fromJSON "[\"ab\",\"ab\",\"ba\",\"\",\"\"]"; in [ (builtins.elemAt l 0 + "c") (builtins.elemAt l 1) ` +
			`(builtins.listToAttrs (map (n: { name = n; value = 1; }) l)) (builtins.elemAt l 1 + "d") ]`,
			`[ "abc" "ab" { "" = 1; ab = 1; ba = 1; } "abd" ]`},
		{`builtins.fromJSON "{\"k\":{},\"l\":[],\"m\":[{}],\"n\":[[]]}"`, `{ k = { }; l = [ ]; m = [ { } ]; n = [ [ ] ]; }`},
	} {
		if got, _ := evalIn(t, dir, c.expr); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, got, c.want)
		}
	}
	// a large object (its repeated keys are found through a map)
	var doc, want strings.Builder
	doc.WriteString(`{`)
	want.WriteString(`{ `)
	for i := range 40 {
		fmt.Fprintf(&doc, `\"k%02d\":%d,\"k%02d\":\"v%d\",`, i, i, 39-i, i)
		if i < 20 { // its string comes after its number
			fmt.Fprintf(&want, `k%02d = "v%d"; `, i, 39-i)
		} else {
			fmt.Fprintf(&want, `k%02d = %d; `, i, i)
		}
	}
	doc.WriteString(`\"k00\":true}`)
	expr := `builtins.fromJSON "` + doc.String() + `"`
	if got, _ := evalIn(t, dir, expr); got != strings.Replace(want.String(), `k00 = "v39"`, `k00 = true`, 1)+"}" {
		t.Errorf("%s\n got: %s\nwant: %s", expr, got, want.String()+"}")
	}
}

// A key that is a new name must not keep the document alive through the
// symbol table.
func TestFromJSONKeyNotInDocument(t *testing.T) {
	doc := strings.Repeat(" ", 1000) + `{"aNameNoOneUses":1, "type":2}`
	st := New(Options{})
	v := primFromJSON(st, ast.Pos{}, []*Value{cell(StringValue(doc, nil))})
	if n := len(v.Attrs().Attrs); n != 2 {
		t.Fatalf("fromJSON made %d attributes, want 2", n)
	}
	sym, ok := st.syms.Lookup("aNameNoOneUses")
	if !ok {
		t.Fatal("key not interned")
	}
	name := st.syms.Name(sym)
	start := uintptr(unsafe.Pointer(unsafe.StringData(doc)))
	if p := uintptr(unsafe.Pointer(unsafe.StringData(name))); p >= start && p < start+uintptr(len(doc)) {
		t.Errorf("the symbol %q points into the document", name)
	}
}

// randomJSON writes a random document of roughly n values: ints small and
// large, constants, short repeated and escaped strings, nested arrays and
// objects with repeated keys. It returns the text and what toJSON makes of
// fromJSON of it (keys sorted, the last of a repeated key kept).
func randomJSON(r *rand.Rand, n int) (doc, want string) {
	var d strings.Builder
	str := func() string {
		switch r.IntN(4) {
		case 0:
			return []string{"a", "bob", "", "mit", "x\"y", "tab\t"}[r.IntN(6)]
		case 1:
			return "s" + strconv.Itoa(r.IntN(1000))
		case 2:
			return strings.Repeat("long é ", 1+r.IntN(8)) + strconv.Itoa(r.IntN(100))
		}
		return "k" + strconv.Itoa(r.IntN(20))
	}
	// each call writes one value to d and returns its canonical text
	var value func(depth int) string
	value = func(depth int) string {
		n--
		k := r.IntN(10)
		if depth > 5 || n <= 0 {
			k %= 6
		}
		switch k {
		case 0:
			i := r.Int64N(5000) - 100
			d.WriteString(strconv.FormatInt(i, 10))
			return strconv.FormatInt(i, 10)
		case 1:
			i := r.Int64() - r.Int64()
			d.WriteString(strconv.FormatInt(i, 10))
			return strconv.FormatInt(i, 10)
		case 2:
			s := []string{"true", "false", "null"}[r.IntN(3)]
			d.WriteString(s)
			return s
		case 3, 4, 5:
			s := str()
			var b strings.Builder
			jsonstr.WriteNix(&b, s)
			d.WriteString(b.String())
			return b.String()
		case 6, 7:
			m := r.IntN(12)
			d.WriteByte('[')
			parts := make([]string, m)
			for i := range m {
				if i > 0 {
					d.WriteString(", ")
				}
				parts[i] = value(depth + 1)
			}
			d.WriteByte(']')
			return "[" + strings.Join(parts, ",") + "]"
		}
		m := r.IntN(24)
		d.WriteByte('{')
		last := map[string]string{}
		for i := range m {
			if i > 0 {
				d.WriteByte(',')
			}
			key := str()
			var b strings.Builder
			jsonstr.WriteNix(&b, key)
			d.WriteString(b.String())
			d.WriteByte(':')
			last[b.String()] = value(depth + 1)
		}
		d.WriteByte('}')
		keys := make([]string, 0, len(last))
		for k := range last {
			keys = append(keys, k)
		}
		// sorted by their encodings, which for these keys is the order
		// of the keys themselves (no key is another's prefix followed by
		// a byte below '"', and only one key starts with each escape)
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + last[k]
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	// the document is an array of values until n are made
	var parts []string
	d.WriteByte('[')
	for n > 0 {
		if len(parts) > 0 {
			d.WriteByte(',')
		}
		parts = append(parts, value(1))
	}
	d.WriteByte(']')
	return d.String(), "[" + strings.Join(parts, ",") + "]"
}

// TestJSONRoundTripRandom checks fromJSON and toJSON together on random
// documents of very different sizes in one evaluator, so that toJSON's
// guess of the size is too small, exact and too large in turn.
func TestJSONRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	var wants []string
	var exprs []string
	for i, n := range []int{20000, 50, 20000, 30000, 3, 1, 5000, 5000, 100000} {
		doc, want := randomJSON(r, n)
		name := fmt.Sprintf("d%d.json", i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		exprs = append(exprs, fmt.Sprintf("(builtins.toJSON (builtins.fromJSON (builtins.readFile ./%s)))", name))
		wants = append(wants, want)
	}
	st := New(Options{})
	v, err := evalDeep(t, st, "[ "+strings.Join(exprs, " ")+" ]", dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range v.Elems() {
		if got := e.StrS(); got != wants[i] {
			t.Errorf("document %d (%d bytes): round trip differs at byte %d", i, len(wants[i]), firstDiff(got, wants[i]))
		} else if i == 0 && len(got) < 100000 {
			t.Errorf("document 0 has only %d bytes", len(got))
		}
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestJSONBuf(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, first := range []int{0, 1, 7, 100, 4096, 1 << 20} {
		for _, size := range []int{0, 1, 100, 5000, 300000} {
			w := jsonBuf{cur: make([]byte, 0, first)}
			var want strings.Builder
			for want.Len() < size {
				switch r.IntN(3) {
				case 0:
					c := byte('a' + r.IntN(26))
					w.WriteByte(c)
					want.WriteByte(c)
				case 1:
					s := strings.Repeat("xyz", r.IntN(400))
					w.WriteString(s)
					want.WriteString(s)
				default:
					i := r.Int64() - r.Int64()
					w.writeInt(i)
					want.WriteString(strconv.FormatInt(i, 10))
				}
			}
			var appended strings.Builder
			appended.WriteString("<")
			w.appendTo(&appended)
			if w.Len() != want.Len() {
				t.Errorf("first %d, size %d: Len %d, want %d", first, size, w.Len(), want.Len())
			}
			if got := w.String(); got != want.String() {
				t.Errorf("first %d, size %d: String differs at %d", first, size, firstDiff(got, want.String()))
			}
			if got := appended.String(); got != "<"+want.String() {
				t.Errorf("first %d, size %d: appendTo differs", first, size)
			}
		}
	}
	// a first chunk of the exact size is the result itself
	w := jsonBuf{cur: make([]byte, 0, 11)}
	w.WriteString("hello world")
	if n := testing.AllocsPerRun(10, func() { _ = w.String() }); n != 0 {
		t.Errorf("String of an exactly filled chunk allocates %v times", n)
	}
}

// benchJSONDoc is a document of about 1 MB from randomJSON.
func benchJSONDoc() string {
	doc, _ := randomJSON(rand.New(rand.NewPCG(5, 6)), 60000)
	return doc
}

func BenchmarkFromJSON(b *testing.B) {
	doc := benchJSONDoc()
	st := New(Options{})
	arg := []*Value{cell(StringValue(doc, nil))}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		primFromJSON(st, ast.Pos{}, arg)
	}
}

func BenchmarkToJSON(b *testing.B) {
	doc := benchJSONDoc()
	st := New(Options{})
	arg := []*Value{cell(primFromJSON(st, ast.Pos{}, []*Value{cell(StringValue(doc, nil))}))}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		primToJSON(st, ast.Pos{}, arg)
	}
}
