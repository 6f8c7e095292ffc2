package tomlparse

import (
	"errors"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/lang/jsonparse"
)

func TestParse(t *testing.T) {
	i := func(n int64) jsonparse.Value { return jsonparse.Value{Kind: jsonparse.Int, Int: n} }
	tests := []struct {
		in   string
		want jsonparse.Value
	}{
		{"", jsonparse.Value{Kind: jsonparse.Object}},
		{"b = 1\na = [2, 'x', {c = 3.5}]\n[[t]]\n[[t]]\nk = true", jsonparse.Value{Kind: jsonparse.Object, Obj: []jsonparse.Member{
			{Key: "a", Val: jsonparse.Value{Kind: jsonparse.Array, Arr: []jsonparse.Value{
				i(2), {Kind: jsonparse.String, Str: "x"},
				{Kind: jsonparse.Object, Obj: []jsonparse.Member{{Key: "c", Val: jsonparse.Value{Kind: jsonparse.Float, Float: 3.5}}}}}}},
			{Key: "b", Val: i(1)},
			{Key: "t", Val: jsonparse.Value{Kind: jsonparse.Array, Arr: []jsonparse.Value{
				{Kind: jsonparse.Object},
				{Kind: jsonparse.Object, Obj: []jsonparse.Member{{Key: "k", Val: jsonparse.Value{Kind: jsonparse.Bool, Bool: true}}}}}}},
		}}},
		// keys keep a NUL, string values are cut there (as in Nix)
		{`"k\u0000z" = "x\u0000y"`, jsonparse.Value{Kind: jsonparse.Object, Obj: []jsonparse.Member{
			{Key: "k\x00z", Val: jsonparse.Value{Kind: jsonparse.String, Str: "x"}}}}},
		{"a = [1e999, -1e999, 0x7FFFFFFFFFFFFFFFF]", jsonparse.Value{Kind: jsonparse.Object, Obj: []jsonparse.Member{
			{Key: "a", Val: jsonparse.Value{Kind: jsonparse.Array, Arr: []jsonparse.Value{
				{Kind: jsonparse.Float, Float: math.MaxFloat64}, {Kind: jsonparse.Float, Float: -math.MaxFloat64},
				i(math.MaxInt64)}}}}}},
		// TOML 1.0 allows newlines in values inside an inline table
		{"a = { b = [1,\n2], c = \"\"\"x\ny\"\"\" }", jsonparse.Value{Kind: jsonparse.Object, Obj: []jsonparse.Member{
			{Key: "a", Val: jsonparse.Value{Kind: jsonparse.Object, Obj: []jsonparse.Member{
				{Key: "b", Val: jsonparse.Value{Kind: jsonparse.Array, Arr: []jsonparse.Value{i(1), i(2)}}},
				{Key: "c", Val: jsonparse.Value{Kind: jsonparse.String, Str: "x\ny"}}}}}}}},
		// \e and \x are text in literal strings
		{`a = '\e\x41'`, jsonparse.Value{Kind: jsonparse.Object, Obj: []jsonparse.Member{
			{Key: "a", Val: jsonparse.Value{Kind: jsonparse.String, Str: `\e\x41`}}}}},
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

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a = 1979-05-27", "Dates and times are not supported"},
		{"[x]\na = [1, {b = 07:32:00}]", "Dates and times are not supported"},
		{"a = 1\na = 2", "toml: line 2, column "},
		{`a = "\e"`, `toml: line 1, column 6: escape \e (not allowed before TOML 1.1)`},
		{"x = 1\na = \"\"\"\n\\x41\"\"\"", `toml: line 3, column 1: escape \x (not allowed before TOML 1.1)`},
		{"a = {b = 1,}", "toml: line 1, column 12: trailing comma in an inline table (not allowed before TOML 1.1)"},
		{"a = {b = 1, # c\n}", "toml: line 1, column 16: newline in an inline table (not allowed before TOML 1.1)"},
		{"a = 1979-05-27\nb = ", "toml: line 2"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want prefix %q", tt.in, err, tt.want)
		}
	}
	if _, err := Parse("a = 1979-05-27"); !errors.Is(err, ErrDates) {
		t.Errorf("a date: error %v is not ErrDates", err)
	}
}

func TestManyOverflows(t *testing.T) {
	doc := "a = [" + strings.Repeat("1e999, ", maxRetries+1) + "]"
	if _, err := Parse(doc); err == nil || !strings.Contains(err.Error(), "out-of-range numbers") {
		t.Errorf("%d overflowing floats: error %v", maxRetries+1, err)
	}
	doc = "a = [" + strings.Repeat("1e999, ", maxRetries) + "]"
	if _, err := Parse(doc); err != nil {
		t.Errorf("%d overflowing floats: %v", maxRetries, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, in := range goldenInputs {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := Parse(in)
		if err != nil {
			return
		}
		if v.Kind != jsonparse.Object {
			t.Fatalf("Parse(%q) top level is %v", in, v.Kind)
		}
		var check func(v jsonparse.Value)
		check = func(v jsonparse.Value) {
			switch v.Kind {
			case jsonparse.Object:
				if !sort.SliceIsSorted(v.Obj, func(i, j int) bool { return v.Obj[i].Key < v.Obj[j].Key }) {
					t.Fatalf("Parse(%q): members not sorted", in)
				}
				for _, m := range v.Obj {
					check(m.Val)
				}
			case jsonparse.Array:
				for _, e := range v.Arr {
					check(e)
				}
			case jsonparse.String:
				if strings.IndexByte(v.Str, 0) >= 0 {
					t.Fatalf("Parse(%q): string value holds a NUL", in)
				}
			case jsonparse.Null:
				t.Fatalf("Parse(%q): null in a TOML result", in)
			}
		}
		check(v)
	})
}
