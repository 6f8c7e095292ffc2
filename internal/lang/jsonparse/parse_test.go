package jsonparse

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParseValues(t *testing.T) {
	tests := []struct {
		in   string
		want Value
	}{
		{`{"b":1,"a":2,"b":3}`, Value{Kind: Object, Obj: []Member{
			{"b", Value{Kind: Int, Int: 1}}, {"a", Value{Kind: Int, Int: 2}}, {"b", Value{Kind: Int, Int: 3}}}}},
		// keys keep a decoded NUL (Nix keeps it in the attribute name); values are cut
		{`{"a\u0000b":"c\u0000d"}`, Value{Kind: Object, Obj: []Member{{"a\x00b", Value{Kind: String, Str: "c"}}}}},
		{`[1, -2, 1.5, "s", true, false, null, [], {}]`, Value{Kind: Array, Arr: []Value{
			{Kind: Int, Int: 1}, {Kind: Int, Int: -2}, {Kind: Float, Float: 1.5}, {Kind: String, Str: "s"},
			{Kind: Bool, Bool: true}, {Kind: Bool}, {Kind: Null}, {Kind: Array}, {Kind: Object}}}},
		{`12345678901234567890`, Value{Kind: Int, Int: -6101065172474983726}},
		{`-9223372036854775809`, Value{Kind: Float, Float: -9223372036854775809}},
		{`18446744073709551616`, Value{Kind: Float, Float: 18446744073709551616}},
		{`"\ud83d\ude00\u00e9\/"`, Value{Kind: String, Str: "😀é/"}},
		// nlohmann stops at a NUL byte as at the end of input (Nix strings never hold one)
		{"[1]\x00garbage", Value{Kind: Array, Arr: []Value{{Kind: Int, Int: 1}}}},
		{"\xef\xbb\xbf 7", Value{Kind: Int, Int: 7}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseErrorType(t *testing.T) {
	_, err := Parse("[1,\n  2,\n  x]")
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("Parse error %v (%T) is not a *SyntaxError", err, err)
	}
	if se.Line != 3 || se.Column != 3 {
		t.Errorf("error position = %d:%d, want 3:3", se.Line, se.Column)
	}
	want := "[json.exception.parse_error.101] parse error at line 3, column 3: syntax error while parsing value - invalid literal; last read: '2,<U+000A>  x'"
	if err.Error() != want {
		t.Errorf("error text\n got %q\nwant %q", err.Error(), want)
	}
	if _, err := Parse("1e400"); err == nil || err.Error() != "[json.exception.out_of_range.406] number overflow parsing '1e400'" {
		t.Errorf("Parse(1e400) error = %v", err)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Null: "null", Bool: "bool", Int: "int", Float: "float",
		String: "string", Array: "array", Object: "object", Kind(99): "invalid"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func TestDeepNesting(t *testing.T) {
	const depth = 1 << 20
	in := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	v, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for v.Kind == Array && len(v.Arr) == 1 {
		v = v.Arr[0]
		n++
	}
	if n != depth-1 || v.Kind != Array || len(v.Arr) != 0 {
		t.Errorf("nesting depth %d, innermost %v with %d elements; want %d and an empty array", n, v.Kind, len(v.Arr), depth-1)
	}
	_, err = Parse(strings.Repeat("[", depth) + "]")
	if err == nil || !strings.Contains(err.Error(), "unexpected end of input; expected ']'") {
		t.Errorf("unclosed deep array: error %v", err)
	}
}

// TestAgreesWithEncodingJSON checks well-formedness against the standard
// library on the golden inputs: the two must accept the same documents,
// apart from what nlohmann treats specially.
func TestAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range goldenInputs() {
		checkAgainstStdlib(t, in)
	}
}

func checkAgainstStdlib(t *testing.T, in string) {
	t.Helper()
	if strings.HasPrefix(in, "\xef\xbb\xbf") || strings.IndexByte(in, 0) >= 0 || !utf8.ValidString(in) {
		return
	}
	v, err := Parse(in)
	valid := json.Valid([]byte(in))
	var se *SyntaxError
	switch {
	case err == nil && !valid:
		t.Errorf("Parse(%q) accepted what encoding/json rejects", in)
	case err != nil && valid && errors.As(err, &se) && !nlohmannOnly(err):
		t.Errorf("Parse(%q) = %v, but encoding/json accepts it", in, err)
	case err == nil:
		var std any
		dec := json.NewDecoder(strings.NewReader(in))
		dec.UseNumber()
		if dec.Decode(&std) == nil && !sameShape(v, std) {
			t.Errorf("Parse(%q) = %+v, encoding/json = %#v", in, v, std)
		}
	}
}

// nlohmannOnly reports errors for documents encoding/json accepts: float
// overflow, and lone surrogates (which encoding/json replaces by U+FFFD).
func nlohmannOnly(err error) bool {
	return strings.Contains(err.Error(), "out_of_range.406") || strings.Contains(err.Error(), "invalid string: surrogate")
}

// sameShape compares our value with encoding/json's, modulo numbers' types
// and NUL truncation, and with last-wins for duplicate keys.
func sameShape(v Value, std any) bool {
	switch s := std.(type) {
	case nil:
		return v.Kind == Null
	case bool:
		return v.Kind == Bool && v.Bool == s
	case string:
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return v.Kind == String && v.Str == s
	case json.Number:
		f, err := s.Float64()
		if err != nil {
			return false
		}
		switch v.Kind {
		case Int:
			return float64(v.Int) == f || (v.Int < 0 && !strings.HasPrefix(string(s), "-"))
		case Float:
			return v.Float == f || (math.Abs(f) < 1e-300 && v.Float == 0)
		}
		return false
	case []any:
		if v.Kind != Array || len(v.Arr) != len(s) {
			return false
		}
		for i := range s {
			if !sameShape(v.Arr[i], s[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		if v.Kind != Object {
			return false
		}
		last := map[string]Value{}
		for _, m := range v.Obj {
			last[m.Key] = m.Val
		}
		if len(last) != len(s) {
			return false
		}
		for k, e := range s {
			if !sameShape(last[k], e) {
				return false
			}
		}
		return true
	}
	return false
}

func FuzzParse(f *testing.F) {
	for _, in := range goldenInputs() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := Parse(in)
		if err != nil {
			if v.Kind != Null || !strings.HasPrefix(err.Error(), "[json.exception.") {
				t.Fatalf("Parse(%q): bad error %q or value %+v", in, err, v)
			}
		}
		checkAgainstStdlib(t, in)
	})
}
