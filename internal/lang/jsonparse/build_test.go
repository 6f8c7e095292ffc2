package jsonparse

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a Builder that logs its calls; a value is the index of the
// call that made it.
type recorder struct{ log []string }

func (r *recorder) add(format string, args ...any) int {
	r.log = append(r.log, fmt.Sprintf(format, args...))
	return len(r.log) - 1
}

func (r *recorder) Null() int           { return r.add("null") }
func (r *recorder) Bool(b bool) int     { return r.add("bool %v", b) }
func (r *recorder) Int(i int64) int     { return r.add("int %d", i) }
func (r *recorder) Float(f float64) int { return r.add("float %v", f) }
func (r *recorder) String(s string) int { return r.add("string %q", s) }
func (r *recorder) Key(s string) string { r.add("key %q", s); return s }
func (r *recorder) Array(elems []int) int {
	return r.add("array %v", elems)
}
func (r *recorder) Object(keys []string, vals []int) int {
	return r.add("object %q %v", keys, vals)
}

func TestParseWithCallOrder(t *testing.T) {
	var r recorder
	got, err := ParseWith(`{"b":[1,{"c":null}],"a":"x\u0000y","b":{}, "d":[]}`, &r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`key "b"`, `int 1`, `key "c"`, `null`, `object ["c"] [3]`, `array [1 4]`,
		`key "a"`, `string "x"`, `key "b"`, `object [] []`, `key "d"`, `array []`,
		`object ["b" "a" "b" "d"] [5 7 9 11]`,
	}
	if diff := cmp.Diff(want, r.log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if got != len(r.log)-1 {
		t.Errorf("result is value %d, want the last one made (%d)", got, len(r.log)-1)
	}
	r = recorder{}
	if _, err := ParseWith(`[1, {"a": tru}]`, &r); err == nil || !strings.Contains(err.Error(), "invalid literal") {
		t.Errorf("ParseWith error = %v", err)
	}
}

// TestRebuildAgrees checks that Rebuild replays a parsed tree with the
// calls ParseWith makes for the same document, on every golden input that
// parses.
func TestRebuildAgrees(t *testing.T) {
	n := 0
	for _, in := range goldenInputs() {
		var direct recorder
		if _, err := ParseWith(in, &direct); err != nil {
			continue
		}
		tree, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q) fails where ParseWith succeeds: %v", in, err)
		}
		var replay recorder
		Rebuild(&tree, &replay)
		if diff := cmp.Diff(direct.log, replay.log); diff != "" {
			t.Errorf("Rebuild(Parse(%q)) calls differ from ParseWith (-parse +rebuild):\n%s", in, diff)
		}
		n++
	}
	if n < 50 {
		t.Errorf("only %d golden inputs parse", n)
	}
}
