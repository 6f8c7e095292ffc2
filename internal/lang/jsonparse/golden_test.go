package jsonparse

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"gonix/internal/testutil"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/golden.json by running real Nix 2.8")

const goldenFile = "testdata/golden.json"

// text is a golden-file byte string (see testutil.Bytes).
type text = testutil.Bytes

// goldenCase is what Nix 2.8 made of one input: either Want, the value in
// the canonical form of dumpNix/dumpGo, or Error, the message after "error: ".
type goldenCase struct {
	Input text `json:"input"`
	Want  text `json:"want,omitempty"`
	Error text `json:"error,omitempty"`
}

// dumpNix prints a fromJSON result canonically: sets sorted by key, floats
// exactly as mantissa "p" exponent (so no precision is lost in printing).
const dumpNix = `
let
  norm = x: e:
    if x >= 9007199254740992.0 then norm (x / 2.0) (e + 1)
    else if x < 4503599627370496.0 then norm (x * 2.0) (e - 1)
    else "${toString (builtins.floor x)}p${toString e}";
  flt = x:
    if x == 0.0 then (if toString x == "-0.000000" then "-0" else "0")
    else if x < 0.0 then "-" + norm (0.0 - x) 0
    else norm x 0;
  dump = v: let t = builtins.typeOf v; in
    if t == "int" then "i:${toString v}"
    else if t == "float" then "f:${flt v}"
    else if t == "bool" then (if v then "true" else "false")
    else if t == "null" then "null"
    else if t == "string" then "s:" + builtins.toJSON v
    else if t == "list" then "[" + builtins.concatStringsSep "," (map dump v) + "]"
    else "{" + builtins.concatStringsSep ","
      (map (k: builtins.toJSON k + ":" + dump v.${k}) (builtins.attrNames v)) + "}";
in file: dump (builtins.fromJSON (builtins.readFile file))
`

// dumpGo is dumpNix for our Value, with Nix's set semantics applied:
// last duplicate key wins, keys sorted bytewise.
func dumpGo(b *strings.Builder, v Value) {
	switch v.Kind {
	case Int:
		fmt.Fprintf(b, "i:%d", v.Int)
	case Float:
		b.WriteString("f:")
		f := v.Float
		switch {
		case f == 0 && math.Signbit(f):
			b.WriteString("-0")
		case f == 0:
			b.WriteString("0")
		default:
			if f < 0 {
				b.WriteString("-")
				f = -f
			}
			frac, exp := math.Frexp(f)
			fmt.Fprintf(b, "%dp%d", int64(frac*(1<<53)), exp-53)
		}
	case Bool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case Null:
		b.WriteString("null")
	case String:
		b.WriteString("s:")
		nixJSONString(b, v.Str)
	case Array:
		b.WriteString("[")
		for i, e := range v.Arr {
			if i > 0 {
				b.WriteString(",")
			}
			dumpGo(b, e)
		}
		b.WriteString("]")
	case Object:
		last := map[string]Value{}
		var keys []string
		for _, m := range v.Obj {
			if _, ok := last[m.Key]; !ok {
				keys = append(keys, m.Key)
			}
			last[m.Key] = m.Val
		}
		sort.Strings(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			nixJSONString(b, k)
			b.WriteString(":")
			dumpGo(b, last[k])
		}
		b.WriteString("}")
	}
}

// nixJSONString writes s as builtins.toJSON does (spec §4.9).
func nixJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	data, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("read golden file (regenerate with go test -run TestGolden -update): %v", err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("decode %s: %v", goldenFile, err)
	}
	return cases
}

func TestGolden(t *testing.T) {
	if *update {
		regenerate(t)
	}
	cases := loadGolden(t)
	if len(cases) < 150 {
		t.Errorf("golden table has %d cases, want at least 150", len(cases))
	}
	for i, c := range cases {
		v, err := Parse(string(c.Input))
		var got goldenCase
		got.Input = c.Input
		if err != nil {
			got.Error = text(err.Error())
		} else {
			var b strings.Builder
			dumpGo(&b, v)
			got.Want = text(b.String())
		}
		if got != c {
			t.Errorf("case %d: Parse(%q)\n got value %q error %q\nwant value %q error %q",
				i, c.Input, got.Want, got.Error, c.Want, c.Error)
		}
	}
}

// nixPath returns the path of nix-instantiate, or skips the test; under
// CI=true a missing Nix is a failure.
func nixPath(t *testing.T) string {
	t.Helper()
	return testutil.NixTool(t, "nix-instantiate")
}

// runNix evaluates dumpNix on input with real Nix. It returns the canonical
// dump, or the error message Nix printed.
func runNix(t *testing.T, nix, dir, input string) goldenCase {
	t.Helper()
	in := filepath.Join(dir, "input.json")
	if err := os.WriteFile(in, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "dump.nix")
	if err := os.WriteFile(prog, []byte(dumpNix), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nix, "--store", "dummy://", "--eval", "--strict", "--json", "--readonly-mode",
		"--option", "substituters", "", "-E", fmt.Sprintf("import %s %s", prog, in))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	c := goldenCase{Input: text(input)}
	var exit *exec.ExitError
	switch {
	case err == nil:
		var s string
		if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
			t.Fatalf("input %q: nix printed %q: %v", input, stdout.String(), err)
		}
		c.Want = text(s)
	case errors.As(err, &exit):
		msg, ok := strings.CutPrefix(stderr.String(), "error: ")
		if !ok {
			t.Fatalf("input %q: unexpected nix stderr %q", input, stderr.String())
		}
		msg, _, _ = strings.Cut(msg, "\n(use '--show-trace'")
		c.Error = text(msg)
	default:
		t.Fatalf("run nix: %v", err)
	}
	return c
}

func regenerate(t *testing.T) {
	nix := nixPath(t)
	dir := t.TempDir()
	var cases []goldenCase
	for _, in := range goldenInputs() {
		cases = append(cases, runNix(t, nix, dir, in))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cases); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNixOracleLive re-checks a sample of the golden inputs against the
// installed Nix, so a stale golden file is noticed.
func TestNixOracleLive(t *testing.T) {
	nix := nixPath(t)
	dir := t.TempDir()
	cases := loadGolden(t)
	for i := 0; i < len(cases); i += 17 {
		if got := runNix(t, nix, dir, string(cases[i].Input)); got != cases[i] {
			t.Errorf("golden case %d is stale: nix says %+v, file says %+v", i, got, cases[i])
		}
	}
}
